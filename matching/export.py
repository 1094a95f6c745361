"""A rule's work list as an xlsx workbook for its department: one row per entry in the reader's scope, personal
items masked (as on the pages), the reason in words and the township's feedback. Written by grassroots.xlsx in
constant memory: text is always text, never a formula."""

from django.http import FileResponse
from django.utils import timezone

from grassroots.xlsx import StreamedWorkbook, streamed_response

from .models import Rule
from .worklist import Presenter

EXPORT_LIMIT = 200_000
FIXED = ("乡镇（街道）", "名称", "主体标识")
TRAILING = ("符合的条件", "核实状态", "不属实原因", "备注", "核实人", "核实时间", "列入时间", "关闭时间", "关闭原因")


def _who(user) -> str:
    return user.get_full_name() or user.username


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def write_work_list(book: StreamedWorkbook, rule: Rule, entries, *, reveal: bool = False) -> None:
    """One sheet of `entries` (a queryset of the rule's entries, already scoped), at most EXPORT_LIMIT rows."""
    presenter = Presenter(rule, reveal=reveal)
    sheet = book.add_sheet(rule.name)
    book.write_values(sheet, 0, [*FIXED, *presenter.labels(), *TRAILING], bold=True)
    sheet.freeze_panes(1, 0)
    for n, entry in enumerate(entries[:EXPORT_LIMIT].iterator(chunk_size=2000), start=1):
        view = presenter.view(entry)
        book.write_values(sheet, n, [
            f"{entry.region.name}（{entry.region_id}）", view.name, view.key, *(s.text for s in view.items),
            "；".join(view.reasons), entry.get_status_display(), entry.fact.label if entry.fact_id else "",
            entry.note, _who(entry.handled_by) if entry.handled_by_id else "", _when(entry.handled_at),
            _when(entry.opened_at), _when(entry.closed_at), entry.close_reason,
        ])  # fmt: skip


def work_list_response(rule: Rule, entries, *, reveal: bool = False) -> FileResponse:
    return streamed_response(
        f"{rule.code}-worklist.xlsx", lambda book: write_work_list(book, rule, entries, reveal=reveal)
    )
