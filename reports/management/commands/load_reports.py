"""`manage.py load_reports [--path DIR] [--force]`: check and load the report forms (idempotent)."""

from pathlib import Path

from django.core.management.base import CommandError

from regions.audit import AuditedCommand

from ...loader import FORMS_DIR, FormSourceError, load_reports


class Command(AuditedCommand):
    help = "Check fixtures/reports/*.yaml against the catalog and load them; a second run reports that nothing changed."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=FORMS_DIR, help="forms directory (one file per form)")
        parser.add_argument("--force", action="store_true", help="overwrite forms edited in the web UI with their file")

    def handle(self, *args, **options):
        try:
            result = load_reports(options["path"], force=options["force"])
        except FormSourceError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"报表文件有 {len(exc.errors)} 处错误，未加载任何内容") from exc
        for code in result.kept_web_edits:
            self.stderr.write(
                self.style.WARNING(f"提示：报表 {code} 已在页面上修改，保留页面版本（用 --force 以文件覆盖）")
            )
        if not result.changed:
            self.stdout.write(f"报表未变化（{len(result.unchanged) + len(result.kept_web_edits)} 张），无需更新")
            return
        for label, codes in (("新增", result.created), ("更新", result.updated)):
            if codes:
                self.stdout.write(f"{label}报表 {len(codes)} 张：{'、'.join(codes)}")
        if result.unchanged:
            self.stdout.write(f"未变化 {len(result.unchanged)} 张")
