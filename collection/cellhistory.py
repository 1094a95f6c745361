"""A fixed cell's three values kept apart: what the file held, each attempt typed on the web (who, when) and the
value the row holds now. The batch page shows them apart (原值 is always the file's value) and the annotated
workbook writes the current value into the cell, with the history in its comment (collection/report.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from .models import Batch, StagedRowEdit

FIXED = "fixed"  # the severity of a fix note in the annotated workbook: green unless an issue remains in the cell
EXCLUDED = "excluded"  # the severity of an excluded row's note in the annotated workbook: grey, on its first cell


@dataclass(frozen=True)
class Attempt:
    """One value typed into the fix box, as typed, by whom and when."""

    entered: str
    by: str
    at: datetime

    @property
    def when(self) -> str:
        return timezone.localtime(self.at).strftime("%m-%d %H:%M")


@dataclass
class CellHistory:
    """One cell fixed on the web: its row and item, the file's value, the attempts (oldest first), the value now."""

    row: int
    item: str
    file_value: str
    current: str
    attempts: list[Attempt] = field(default_factory=list)

    def note(self) -> str:
        """The history as one comment text for the annotated workbook."""
        last = self.attempts[-1]
        text = f"已在网页修正：文件原值“{self.file_value}”，现值“{self.current}”（{last.by} {last.when}）"
        earlier = [f"“{a.entered}”（{a.by} {a.when}）" for a in self.attempts[:-1]]
        return text + (f"；此前填入过 {'、'.join(earlier)}" if earlier else "")


def as_text(value) -> str:
    """A stored (normalised) value as cell text: None is empty, booleans 是/否."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def user_label(user) -> str:
    if user is None:
        return "（已删除的用户）"
    return user.get_full_name() or user.username


def histories(edits: Iterable[StagedRowEdit]) -> dict[tuple[int, str], CellHistory]:
    """(staged row id, item) → its history, from edits in any order (their staged_row and edited_by loaded)."""
    found: dict[tuple[int, str], CellHistory] = {}
    for edit in sorted(edits, key=lambda e: (e.edited_at, e.pk)):
        key = (edit.staged_row_id, edit.item)
        if key not in found:  # the first fix saw the value the file gave
            current = as_text(edit.staged_row.values.get(edit.item))
            found[key] = CellHistory(edit.staged_row.row, edit.item, as_text(edit.old_value), current)
        found[key].attempts.append(Attempt(edit.entered, user_label(edit.edited_by), edit.edited_at))
    return found


def batch_histories(batch: Batch) -> list[CellHistory]:
    """Every cell of a batch fixed on the web (one query)."""
    edits = (
        StagedRowEdit.objects.unrestricted("the edits of a batch the caller read scoped")
        .filter(batch=batch)
        .select_related("staged_row", "edited_by")
    )
    return list(histories(edits).values())


@dataclass(frozen=True)
class FixedCell:
    """A cell fixed on the web as the annotated workbook marks it (an issue-like note): its Excel row and 0-based
    column, the value now, the file's value and the history as the comment's message."""

    row: int
    column_index: int
    value: str
    file_value: str
    message: str
    severity: str = FIXED
    rule: str = "web_fix"


def fixed_cells(batch: Batch) -> list[FixedCell]:
    """The batch's cells fixed on the web, where its file has their column (batch.column_map)."""
    columns = batch.column_map or {}
    return [
        FixedCell(h.row, columns[h.item]["index"], h.current, h.file_value, h.note())
        for h in batch_histories(batch)
        if h.item in columns
    ]


@dataclass(frozen=True)
class ExcludedRow:
    """A row the township excluded (collection/exclusions.py) as the annotated workbook marks it (an issue-like
    note on the row's first cell): who, when and why, so the file says why the row will not be merged."""

    row: int
    message: str
    column_index: int = 0
    column: str | None = None
    item: str | None = None
    value: str = ""
    severity: str = EXCLUDED
    rule: str = "excluded"


def excluded_rows(batch: Batch) -> list[ExcludedRow]:
    """The batch's excluded rows with who excluded them, when and why (one query)."""
    rows = batch.staged_rows.filter(excluded_at__isnull=False).select_related("excluded_by").order_by("row")
    return [
        ExcludedRow(
            r.row,
            f"本行不入库：{r.excluded_reason or '未填原因'}（{user_label(r.excluded_by)} "
            f"{timezone.localtime(r.excluded_at).strftime('%Y-%m-%d %H:%M')}）",
        )
        for r in rows
    ]
