"""`manage.py load_reports [--path DIR] [--force]`: check and load the report forms (idempotent)."""

from pathlib import Path

from grassroots.definitions import run_load
from regions.audit import AuditedCommand

from ...loader import FORMS_DIR, load_reports


class Command(AuditedCommand):
    help = "Check fixtures/reports/*.yaml against the catalog and load them; a second run reports that nothing changed."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=FORMS_DIR, help="forms directory (one file per form)")
        parser.add_argument("--force", action="store_true", help="overwrite forms edited in the web UI with their file")

    def handle(self, *args, **options):
        run_load(self, lambda: load_reports(options["path"], force=options["force"]), noun="报表", unit="张")
