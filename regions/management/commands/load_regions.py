from pathlib import Path

from django.core.management.base import BaseCommand

from regions.loader import DEFAULT_CSV, load_divisions


class Command(BaseCommand):
    help = "Load the city, its counties and townships from the division-code CSV (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="CSV with code,name,level,parent")

    def handle(self, *args, **options):
        report = load_divisions(options["csv"])
        self.stdout.write(f"行政区划：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}")
