"""`manage.py import_workbook`: the command-line door of the intake pipeline (automation, bulk loads, checks).

Exit 0 when the file was processed (even with row errors), 2 when it was refused as a whole (Chinese message on
stderr, nothing stored). With --json stdout is one JSON object, or a list of them for a multi-sheet workbook.
"""

import gc
import json
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from collection.pipeline.opening import OpenAhead, take_early
from collection.pipeline.types import RejectedFile
from regions.audit import AuditedCommand

EXIT_REJECTED = 2


class Command(AuditedCommand):
    help = "核验（并可直接入库）一个乡镇上报的 Excel/CSV 文件。Verify (and merge) one township workbook."
    # A batch tool run from scripts: the system checks import every URLconf and view (≈0.5 s CPU per run).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx/.xlsm/.xls/.xlsb/.ods/.csv file")
        parser.add_argument(
            "--region", required=True, help="township code (9 digits); a department's roster: county (6) or city (4)"
        )
        parser.add_argument("--subcategory", help="subcategory code, e.g. P0101 (default: recognised from headers)")
        parser.add_argument("--user", help="acting username (default: system automation)")
        parser.add_argument("--dry-run", action="store_true", help="verify only; store nothing at all")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--report", help="write the annotated workbook to this .xlsx path")

    def run_from_argv(self, argv):
        self.one_shot = True  # a process of its own (not call_command): see handle
        super().run_from_argv(argv)

    def handle(self, *args, **options):
        path = Path(options["path"])
        # Guard, open and parse the file in a thread while this one imports the pipeline (pandas and the rest,
        # ≈ 0.25 s) and checks the user, region and table: calamine works without the GIL. manage.py starts it
        # before Django's own start-up (opening.start_early); otherwise it starts here.
        ahead = take_early(path, path.name) or (OpenAhead(path, path.name) if path.is_file() else None)
        if ahead is not None:
            ahead.wait_guarded()  # the guard needs the GIL between its inflating steps: let it finish first
        from collection import intake

        if getattr(self, "one_shot", False):
            # Everything imported so far lives until the process ends: spare every garbage collection (hundreds
            # of thousands of cells are allocated per chunk) and the exit from scanning it.
            gc.freeze()
        try:
            user = self._user(options["user"])
            if ahead is None:
                raise RejectedFile(f"找不到文件：{path}")
            summaries = self._run(intake, path, user, options, ahead)
        except RejectedFile as exc:
            self.stderr.write(f"文件未被接收：{exc.message}")
            sys.exit(EXIT_REJECTED)
        self._print(summaries, options["json"])

    def _user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在或已停用", returncode=EXIT_REJECTED)
        return user

    def _run(self, intake, path: Path, user, options, ahead: OpenAhead) -> list[dict]:
        from collection.summaries import summary

        common = {
            "original_name": path.name,
            "region_code": options["region"],
            "subcategory": options["subcategory"],
            "ahead": ahead,
        }
        if options["dry_run"]:
            report = self._dry_run_reporter(Path(options["report"])) if options["report"] else None
            return intake.dry_run(path, user=user, on_sheet=report, **common)
        batches = intake.create_batches(path, user=user, **common)
        summaries = []
        for batch in batches:
            intake.process_batch(batch, acting_user=user, merge=True)
            summaries.append(summary(batch))
        if options["report"]:
            self._write_reports(batches, Path(options["report"]))
        return summaries

    def _dry_run_reporter(self, out: Path):
        """A dry run's annotated workbook, written from the issues in memory (nothing is stored)."""
        from collection.report import annotate_workbook

        written: list[str] = []

        def write(local: Path, workbook, recognition, issues) -> None:
            target = out if not written else out.with_name(f"{out.stem}_{recognition.sheet_name}{out.suffix}")
            item_names = {item.key: item.name for item in recognition.spec.items}
            data = annotate_workbook(
                local, workbook.format, recognition.sheet_name, issues, recognition.header_row, item_names=item_names
            )
            target.write_bytes(data)
            written.append(recognition.sheet_name)

        return write

    def _write_reports(self, batches, out: Path) -> None:
        """The annotated workbook; for a multi-sheet upload one file per sheet (OUT_<sheet>.xlsx)."""
        from collection.report import batch_report

        for batch in batches:
            target = out if len(batches) == 1 else out.with_name(f"{out.stem}_{batch.sheet_name}{out.suffix}")
            target.write_bytes(batch_report(batch))

    def _print(self, summaries: list[dict], as_json: bool) -> None:
        if as_json:
            data = summaries[0] if len(summaries) == 1 else summaries
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
            return
        for s in summaries:
            self.stdout.write(
                f"{s['sheet'] or '-'} {s['subcategory']} 批次 {s['batch'] or '（试运行）'}：{s['rows']} 行，"
                f"有效 {s['valid']}，有误 {s['invalid']}，文件内重复 {s['duplicates_in_file']}，"
                f"自动修正 {s['corrections']}；新增 {s['created']}，更新 {s['updated']}，未变 {s['unchanged']}，"
                f"冲突 {s['conflicts']}；问题 {len(s['issues'])} 条"
            )
