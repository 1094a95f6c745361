"""The progress board (进度看板): per township and per subcategory — batches, rows received, valid rate, records in the
base database, open conflicts, last upload.

A handful of GROUP BY queries whatever the number of townships (159 in the city); every queryset goes through
`.restrict(user, Action.VIEW)`, so an officer sees their region and a collector their township.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Length
from django.utils import timezone

from catalog.models import Subcategory
from collection.models import Batch
from grassroots.xlsx import StreamedWorkbook
from regions.access import restrict
from regions.choices import Action, RegionLevel
from regions.models import Region, prefix_bounds

from .choices import ConflictStatus
from .models import Conflict, RecordCount
from .sunk import sunk_by_township

NONE = (0, 0)  # no records, none placed
TOWNSHIP_LENGTH = 9
SORTABLE = ("code", "name", "batches", "rows", "valid", "valid_rate", "records", "placement_rate", "conflicts",
            "last_upload")  # fmt: skip
CHART_ROWS = 40
COLUMNS = (
    ("code", "代码"),
    ("name", "名称"),
    ("group", "所属县（市、区）"),
    ("batches", "批次"),
    ("rows", "接收行数"),
    ("valid_rate", "有效率"),
    ("records", "基础库记录"),
    ("placement_rate", "落位率"),
    ("conflicts", "待处理冲突"),
    ("last_upload", "最近上传"),
)


@dataclass
class BoardRow:
    """One line of the board: a township or a subcategory."""

    code: str
    name: str
    group: str  # the township's county, or the subcategory's category code
    batches: int = 0
    rows: int = 0
    valid: int = 0
    records: int = 0
    placed: int = 0  # active records placed below the row's own level (a township's: in a village or grid)
    conflicts: int = 0
    last_upload: datetime | None = None
    leftover: bool = False  # the drill-down's row of records placed at the parent itself (未落到下级区划)
    sunk: int = 0  # classes sunk here by department rosters (数据下沉, basedb/sunk.py)
    sunk_last: datetime | None = None  # the last roster update among them

    @property
    def valid_rate(self) -> float | None:
        return round(100 * self.valid / self.rows, 1) if self.rows else None

    @property
    def unplaced(self) -> int:
        return self.records - self.placed

    @property
    def placement_rate(self) -> float | None:
        """落位率: the share of the row's active records placed below its level (a county's or a township's: in a
        village or a grid; a village's: in a grid)."""
        return round(100 * self.placed / self.records, 1) if self.records else None


def _in_county(queryset, field: str, county: str | None):
    if not county:
        return queryset
    low, high = prefix_bounds(county)
    return queryset.filter(**{f"{field}__gte": low, f"{field}__lt": high})


def county_choices(user) -> list[tuple[str, str]]:
    """The counties the user may view (the board's filter)."""
    counties = restrict(Region.objects.filter(level=RegionLevel.COUNTY), user, Action.VIEW, field="code")
    return list(counties.values_list("code", "name"))


def _batch_stats(user, county: str | None, by: str) -> dict:
    batches = _in_county(Batch.objects.restrict(user, Action.VIEW), "region_id", county)
    stats = batches.values(by).annotate(n=Count("id"), rows=Sum("rows"), valid=Sum("valid"), last=Max("created_at"))
    return {s[by]: s for s in stats}


def _record_counts(user, county: str | None, by: str) -> dict:
    """{key: (active records, those placed below township level)} grouped by `by`, from the record counts kept per
    place and subcategory (basedb/summaries.py), scoped like the records themselves (by place and subcategory)."""
    counts = _in_county(RecordCount.objects.restrict(user, Action.VIEW), "place_id", county)
    placed = Sum("records", filter=Q(place_length__gt=TOWNSHIP_LENGTH))
    counts = (
        counts.alias(place_length=Length("place_id")).values(by).annotate(n=Sum("records"), placed=placed)
        .filter(n__gt=0).order_by()
    )  # fmt: skip
    return {c[by]: (c["n"], c["placed"] or 0) for c in counts}


def _conflict_counts(user, county: str | None, by: str) -> dict:
    conflicts = _in_county(Conflict.objects.restrict(user, Action.VIEW), "incoming_region_id", county)
    counts = conflicts.filter(status=ConflictStatus.OPEN).values(by).annotate(n=Count("id")).order_by()
    return {c[by]: c["n"] for c in counts}


def _fill(row: BoardRow, batch: dict | None, records: tuple[int, int], conflicts: int) -> BoardRow:
    if batch:
        row.batches, row.rows, row.valid = batch["n"], batch["rows"] or 0, batch["valid"] or 0
        row.last_upload = batch["last"]
    (row.records, row.placed), row.conflicts = records, conflicts
    return row


def township_rows(user, *, county: str | None = None) -> list[BoardRow]:
    """Every township the user may view (in `county` when given), with its figures and its sunk classes (数据下沉);
    seven queries in all."""
    townships = _in_county(
        restrict(Region.objects.townships(), user, Action.VIEW, field="code"), "code", county
    ).values_list("code", "name", "parent__name")
    batches = _batch_stats(user, county, "region_id")
    records = _record_counts(user, county, "region_id")
    conflicts = _conflict_counts(user, county, "incoming_region_id")
    sunk = sunk_by_township(user, county)
    rows = [
        _fill(BoardRow(code, name, parent or ""), batches.get(code), records.get(code, NONE), conflicts.get(code, 0))
        for code, name, parent in townships
    ]
    for row in rows:
        row.sunk, row.sunk_last = sunk.get(row.code, (0, None))
    return rows


def subcategory_rows(user, *, county: str | None = None) -> list[BoardRow]:
    """Every subcategory with batches or records in the user's region (in `county` when given); four queries."""
    batches = _batch_stats(user, county, "subcategory_id")
    records = _record_counts(user, county, "subcategory_id")
    conflicts = _conflict_counts(user, county, "subcategory_id")
    ids = {i for i in (*batches, *records, *conflicts) if i is not None}
    subs = Subcategory.objects.filter(pk__in=ids).order_by("order", "code")
    subs = subs.values_list("pk", "code", "name", "category__code")
    return [
        _fill(BoardRow(code, name, category), batches.get(pk), records.get(pk, NONE), conflicts.get(pk, 0))
        for pk, code, name, category in subs
    ]


def totals(rows: list[BoardRow]) -> BoardRow:
    """The sum of the board's lines (合计)."""
    total = BoardRow("", "合计", "")
    for row in rows:
        for name in ("batches", "rows", "valid", "records", "placed", "conflicts"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        if row.last_upload and (total.last_upload is None or row.last_upload > total.last_upload):
            total.last_upload = row.last_upload
    return total


def sort_rows(rows: list[BoardRow], sort: str) -> list[BoardRow]:
    """Sort by a column name, `-name` for descending; unknown names keep the code order. Empty values go last."""
    name = sort.lstrip("-")
    if name not in SORTABLE:
        return rows
    present = [r for r in rows if getattr(r, name) is not None]
    missing = [r for r in rows if getattr(r, name) is None]
    return sorted(present, key=lambda r: getattr(r, name), reverse=sort.startswith("-")) + missing


def chart(rows: list[BoardRow], metric: str = "records", limit: int = CHART_ROWS) -> dict:
    """Geometry of the server-rendered SVG bar chart: the first `limit` rows, bar widths in percent of the largest."""
    shown = rows[:limit]
    largest = max((getattr(r, metric) for r in shown), default=0) or 1
    bars = [
        {"label": r.name, "value": v, "width": round(100 * v / largest, 2), "y": i * 22}
        for i, (r, v) in enumerate((r, getattr(r, metric)) for r in shown)
    ]
    return {"bars": bars, "height": len(bars) * 22 + 4, "truncated": len(rows) > limit}


EXPORT_HEADERS = (
    *("代码", "名称", "所属", "批次数", "接收行数", "有效行数"),
    *("有效率(%)", "基础库记录", "落位率(%)", "待处理冲突", "最近上传"),
)


def write_export(book: StreamedWorkbook, townships: list[BoardRow], subcategories: list[BoardRow],
                 title: str = "按乡镇（街道）") -> None:  # fmt: skip
    """The board into a workbook: one sheet per table (the first: the level shown, townships by default); text
    cells are written as text (never formulas)."""
    for name, rows in ((title, townships), ("按数据子类", subcategories)):
        sheet = book.add_sheet(name)
        book.write_values(sheet, 0, EXPORT_HEADERS, bold=True)
        for r, row in enumerate(rows, start=1):
            last = timezone.localtime(row.last_upload).strftime("%Y-%m-%d %H:%M") if row.last_upload else None
            values = (row.code, row.name, row.group, row.batches, row.rows, row.valid, row.valid_rate, row.records,
                      row.placement_rate, row.conflicts, last)  # fmt: skip
            book.write_values(sheet, r, values)
