"""`manage.py load_rules [--path DIR] [--force]`: check and load the matching rules and feedback facts (idempotent)."""

from pathlib import Path

from grassroots.definitions import run_load
from regions.audit import AuditedCommand

from ...loader import RULES_DIR, load_rules


class Command(AuditedCommand):
    help = "Check fixtures/rules/*.yaml against the catalog and load them; a second run reports that nothing changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", type=Path, default=RULES_DIR, help="rules directory (facts.yaml + one file per rule)"
        )
        parser.add_argument("--force", action="store_true", help="overwrite rules edited in the web UI with their file")

    def handle(self, *args, **options):
        run_load(self, lambda: load_rules(options["path"], force=options["force"]), noun="规则", unit="条")
