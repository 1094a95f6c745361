from pathlib import Path

from django.core.management.base import CommandError

from catalog.loader import DEFAULT_SOURCE, load_catalog
from catalog.source import CatalogSourceError
from regions.audit import AuditedCommand


class Command(AuditedCommand):
    help = "Validate the catalog source (fixtures/catalog/) and load it: idempotent, reports added/changed/retired."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=DEFAULT_SOURCE, help="catalog source directory")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def handle(self, *args, **options):
        try:
            report = load_catalog(options["path"], dry_run=options["dry_run"])
        except CatalogSourceError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"目录源文件有 {len(exc.errors)} 处错误，未加载任何内容") from exc
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"提示：{warning}"))
        if report.dry_run:
            self.stdout.write("试运行（--dry-run）：以下为将要进行的变更，未写入数据库")
        for line in report.lines():
            self.stdout.write(line)
