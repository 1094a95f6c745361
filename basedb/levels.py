"""Drill-down by region level (the board and the record list): city → county → township → village → grid.

A level is a region and its children. Each child's figures come from a handful of GROUP BY queries on the code
prefix of the child's length, whatever the number of children: records by their place (a township's records placed
in a village count for that village), batches by their township down to township level, staged rows by their place
below it (a village's received rows and valid rate), conflicts by the incoming township. A township's and a village's
level end with one more row: the records placed at the region itself (未落到村（社区）/ 未落到网格).
Every queryset goes through `.restrict(user, Action.VIEW)`.
"""

from dataclasses import dataclass

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Length, Substr

from collection.models import Batch, StagedRow
from regions.access import restrict, scope_for
from regions.choices import LEVEL_CODE_LENGTH, Action, RegionLevel
from regions.models import Region, prefix_bounds

from .board import BoardRow
from .choices import ConflictStatus
from .models import Conflict, RecordCount

LENGTHS = sorted(LEVEL_CODE_LENGTH.values())  # 4, 6, 9, 12, 15
TOWNSHIP_LENGTH, VILLAGE_LENGTH = LEVEL_CODE_LENGTH[RegionLevel.TOWNSHIP], LEVEL_CODE_LENGTH[RegionLevel.VILLAGE]
CHILD_LABELS = {6: "县（市、区）", 9: "乡镇（街道）", 12: "村（社区）", 15: "网格"}
LEFTOVER_NAMES = {TOWNSHIP_LENGTH: "未落到村（社区）", VILLAGE_LENGTH: "未落到网格"}


@dataclass
class Level:
    """A region the user drills into: its trail from the city (regions the user may open) and its children's length."""

    region: Region
    trail: list[Region]

    @property
    def child_length(self) -> int | None:
        return next((n for n in LENGTHS if n > len(self.region.code)), None)

    @property
    def child_label(self) -> str:
        return CHILD_LABELS.get(self.child_length or 0, "")


def may_open(user, code: str) -> bool:
    """May the user open the level of `code`: a region in its scope, or one above it (seen through its own part)."""
    scope = scope_for(user, Action.VIEW)
    return scope.everything or scope.covers(code) or any(p.startswith(code) for p in scope.prefixes)


def default_region(user) -> str | None:
    """Where the user's drill-down starts: its one region, or the city when it holds several (or everything)."""
    scope = scope_for(user, Action.VIEW)
    if len(scope.prefixes) == 1 and not scope.everything:
        return scope.prefixes[0]
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("code").values_list("code", flat=True).first()
    return city if (scope.everything or scope.prefixes) else None


def level_for(user, code: str | None) -> Level | None:
    """The level of `code` (default: where the user starts), or None when it does not exist or is not the user's."""
    code = (code or "").strip() or default_region(user)
    if not code or not may_open(user, code):
        return None
    regions = Region.objects.in_bulk([code[:n] for n in LENGTHS if n <= len(code)])
    if code not in regions:
        return None
    trail = [regions[c] for c in sorted(regions, key=len) if may_open(user, c)]
    return Level(regions[code], trail)


def in_subtree(queryset, code: str, field: str = "place_id"):
    """`queryset` narrowed to rows whose `field` (a region code column) lies under `code` (a user's drill-down
    within what `.restrict` already allowed)."""
    low, high = prefix_bounds(code)
    return queryset.filter(**{f"{field}__gte": low, f"{field}__lt": high})


def record_figures(user, code: str, length: int) -> dict[str, tuple[int, int]]:
    """{child prefix: (active records, placed below the child's level)} of the records placed under `code`; a key as
    long as `code` itself holds the records placed at `code`. Summed from the record counts (basedb/summaries.py)."""
    counts = in_subtree(RecordCount.objects.restrict(user, Action.VIEW), code)
    below = min(max(length, TOWNSHIP_LENGTH), VILLAGE_LENGTH)  # a grid's records are all placed (in the grid)
    rows = (
        counts.annotate(unit=Substr("place_id", 1, length)).alias(place_length=Length("place_id")).values("unit")
        .annotate(n=Sum("records"), placed=Sum("records", filter=Q(place_length__gt=below))).filter(n__gt=0)
        .order_by()
    )  # fmt: skip
    return {r["unit"]: (r["n"], r["placed"] or 0) for r in rows}


def _batch_figures(user, code: str, length: int) -> dict[str, dict]:
    """Batches by township (and above); below a township, the staged rows by their place."""
    if length <= TOWNSHIP_LENGTH:
        batches = in_subtree(Batch.objects.restrict(user, Action.VIEW), code, "region_id")
        stats = (
            batches.annotate(unit=Substr("region_id", 1, length))
            .values("unit")
            .annotate(n=Count("id"), rows=Sum("rows"), valid=Sum("valid"), last=Max("created_at"))
        )
    else:
        staged = StagedRow.objects.restrict(user, Action.VIEW).filter(batch__region_id=code[:TOWNSHIP_LENGTH])
        stats = in_subtree(staged, code, "place").annotate(unit=Substr("place", 1, length)).values("unit").annotate(
            n=Count("batch_id", distinct=True), rows=Count("id"), valid=Count("id", filter=Q(is_valid=True)),
            last=Max("batch__created_at"),
        )  # fmt: skip
    return {s["unit"]: s for s in stats.order_by()}


def _conflict_figures(user, code: str, length: int) -> dict[str, int]:
    if length > TOWNSHIP_LENGTH:
        return {}
    conflicts = in_subtree(Conflict.objects.restrict(user, Action.VIEW), code, "incoming_region_id")
    counts = conflicts.filter(status=ConflictStatus.OPEN).annotate(unit=Substr("incoming_region_id", 1, length))
    return {c["unit"]: c["n"] for c in counts.values("unit").annotate(n=Count("id")).order_by()}


def level_rows(user, level: Level) -> list[BoardRow]:
    """The children of the level's region the user may view, with their figures, then (for a township or a
    village) the row of the records placed at the region itself. A grid has no children: no rows."""
    length, code = level.child_length, level.region.code
    if length is None:
        return []
    children = restrict(Region.objects.filter(code__gt=code, code__lt=prefix_bounds(code)[1]), user, field="code")
    children = children.alias(code_length=Length("code")).filter(code_length=length).values_list("code", "name")
    records, batches = record_figures(user, code, length), _batch_figures(user, code, length)
    conflicts = _conflict_figures(user, code, length)
    rows = [_row(c, name, level.region.name, batches, records, conflicts) for c, name in children.order_by("code")]
    if len(code) in LEFTOVER_NAMES:
        leftover = _row(code, LEFTOVER_NAMES[len(code)], level.region.name, batches, records, conflicts)
        leftover.leftover, leftover.placed = True, 0
        rows.append(leftover)
    return rows


def _row(code, name, group, batches, records, conflicts) -> BoardRow:
    row = BoardRow(code, name, group)
    batch = batches.get(code)
    if batch:
        row.batches, row.rows, row.valid, row.last_upload = (
            batch["n"],
            batch["rows"] or 0,
            batch["valid"] or 0,
            batch["last"],
        )
    row.records, row.placed = records.get(code, (0, 0))
    row.conflicts = conflicts.get(code, 0)
    return row
