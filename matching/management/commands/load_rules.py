"""`manage.py load_rules [--path DIR] [--force]`: check and load the matching rules and feedback facts (idempotent)."""

from pathlib import Path

from django.core.management.base import CommandError

from regions.audit import AuditedCommand

from ...loader import RULES_DIR, RuleSourceError, load_rules


class Command(AuditedCommand):
    help = "Check fixtures/rules/*.yaml against the catalog and load them; a second run reports that nothing changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", type=Path, default=RULES_DIR, help="rules directory (facts.yaml + one file per rule)"
        )
        parser.add_argument("--force", action="store_true", help="overwrite rules edited in the web UI with their file")

    def handle(self, *args, **options):
        try:
            result = load_rules(options["path"], force=options["force"])
        except RuleSourceError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"规则文件有 {len(exc.errors)} 处错误，未加载任何内容") from exc
        for code in result.kept_web_edits:
            self.stderr.write(
                self.style.WARNING(f"提示：规则 {code} 已在页面上修改，保留页面版本（用 --force 以文件覆盖）")
            )
        if not result.changed:
            self.stdout.write(f"规则未变化（{len(result.unchanged) + len(result.kept_web_edits)} 条），无需更新")
            return
        if result.facts_changed:
            self.stdout.write(f"反馈事实：更新 {result.facts_changed} 项")
        for label, codes in (("新增", result.created), ("更新", result.updated)):
            if codes:
                self.stdout.write(f"{label}规则 {len(codes)} 条：{'、'.join(codes)}")
        if result.unchanged:
            self.stdout.write(f"未变化 {len(result.unchanged)} 条")
