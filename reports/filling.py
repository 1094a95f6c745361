"""Filling a report form from the base database: one grouped query per subject subcategory of the form's columns,
whatever the number of rows; no record passes through Python.

Rows are the child regions of the chosen region (the records are grouped by the child-level prefix of the code they
are placed at, substr(place, 1, child length)), or the values of a code table (grouped by the item's code). A last
row holds what no child row takes: records placed at the chosen region itself rather than below it (未落到下级区划),
or records whose code is empty or unknown. 合计 covers every row.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Substr

from basedb.conditions_sql import ConditionBuilder, active_records, item_text
from catalog.models import Subcategory
from regions.choices import LEVEL_CODE_LENGTH, RegionLevel
from regions.models import Region, prefix_bounds

from .definition import AVG, COUNT, Column, FormDefinition

# The column a record is placed by: its place (basedb/placement.py), the lowest region known (grid, village or
# township), so a township's rows are its villages and the leftover row holds what is placed at the township itself.
PLACE = "place_id"
UNPLACED = "未落到下级区划"
UNCODED = "未填写或不在代码表中"
LEVELS = list(LEVEL_CODE_LENGTH.items())
_TOTAL = ("total",)  # the key of 合计 among the group sums (no region or code is a tuple)


def child_length(region: Region) -> int | None:
    """The code length of the region's children (a township's villages: 12), None for a grid."""
    lengths = [n for _level, n in LEVELS]
    n = len(region.code)
    return next((m for m in lengths if m > n), None)


def child_level_name(region: Region) -> str:
    n = child_length(region)
    return next((RegionLevel(level).label for level, m in LEVELS if m == n), "")


@dataclass
class Row:
    """One row of a filled report: a child region or code value (key), or the leftover row (key None)."""

    key: str | None
    name: str
    values: dict[str, float | int | None] = field(default_factory=dict)
    parts: dict[str, list] = field(default_factory=dict)  # average columns: [sum, n]

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "values": self.values, "parts": self.parts}


@dataclass
class FilledReport:
    """A form filled for a region and a date: its rows (the leftover row last) and 合计."""

    definition: FormDefinition
    region: Region
    as_of: date
    rows: list[Row]
    total: Row

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.definition.columns

    def row(self, key: str | None) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)

    def as_json(self) -> dict:
        """The documented JSON of `fill_report --json`: rows keyed by "region" (or "code" for code-table rows)."""
        label = "region" if self.definition.by_regions else "code"
        return {
            "form": self.definition.code,
            "region": self.region.code,
            "as_of": self.as_of.isoformat(),
            "rows": [{label: r.key, "name": r.name, "values": r.values} for r in self.rows],
            "total": self.total.values,
        }


def row_units(definition: FormDefinition, region: Region) -> list[tuple[str | None, str]]:
    """(key, name) of the report's rows in order, the leftover row last."""
    if definition.rows is not None:
        labels = definition.rows.table.labels
        return [*labels.items(), (None, UNCODED)]
    children = Region.objects.filter(parent=region).order_by("code").values_list("code", "name")
    return [*children, (None, UNPLACED)]


def subject_ids(definition: FormDefinition) -> dict[str, int]:
    return dict(Subcategory.objects.filter(code__in=definition.subcategories).values_list("code", "pk"))


def subtree_records(subject_id: int, region: Region):
    """Active records of one subcategory placed in the region's subtree (an indexed range on the place code)."""
    low, high = prefix_bounds(region.code)
    records = active_records().unrestricted("report filling: the subtree of a region the caller may view")
    return records.filter(subcategory_id=subject_id, **{f"{PLACE}__gte": low, f"{PLACE}__lt": high})


def group_expression(definition: FormDefinition, region: Region):
    if definition.rows is not None:
        return item_text(definition.rows.item)
    n = child_length(region)
    return Substr(PLACE, 1, n) if n else Value("")


def column_filter(builder: ConditionBuilder, column: Column, ids: dict[str, int]) -> Q:
    """What a record must satisfy to be counted in the column: its conditions, and a number for sum and average."""
    q = builder.selected(column.selection, ids)
    if column.measure != COUNT:
        q &= Q(**{f"{builder.number(column.item)}__isnull": False})
    return q


def _aggregates(builder: ConditionBuilder, columns: list[Column], ids: dict[str, int]) -> dict:
    aggregates = {}
    for column in columns:
        q = column_filter(builder, column, ids)
        aggregates[f"{column.code}__n"] = Count("id", filter=q or None)
        if column.measure != COUNT:
            aggregates[f"{column.code}__sum"] = Sum(builder.number(column.item), filter=q or None)
    return aggregates


def _grouped(definition: FormDefinition, region: Region, as_of: date) -> dict[str | None, dict]:
    """{group key: {"<column>__n": count, "<column>__sum": sum}}: one GROUP BY query per subject subcategory."""
    ids = subject_ids(definition)
    by_subject: dict[str, list[Column]] = defaultdict(list)
    for column in definition.columns:
        by_subject[column.subject].append(column)
    groups: dict[str | None, dict] = defaultdict(dict)
    for subject, columns in by_subject.items():
        builder = ConditionBuilder(as_of)
        aggregates = _aggregates(builder, columns, ids)
        records = subtree_records(ids[subject], region).alias(**builder.aliases)
        grouped = records.annotate(_unit=group_expression(definition, region)).values("_unit").annotate(**aggregates)
        for found in grouped.order_by():
            groups[found.pop("_unit")].update(found)
    return groups


def _value(column: Column, count: float, total: float | None):
    count = int(count)
    if column.measure == COUNT:
        return count
    if column.measure == AVG:
        return round(total / count, column.decimals) if count else None
    amount = round(total or 0.0, column.decimals)
    return int(amount) if column.decimals == 0 else amount


def _finish(row: Row, columns, sums: dict) -> Row:
    for column in columns:
        count, total = sums.get(f"{column.code}__n", 0), sums.get(f"{column.code}__sum")
        row.values[column.code] = _value(column, count, total)
        if column.measure == AVG:
            row.parts[column.code] = [round(total or 0.0, 6), int(count)]
    return row


def default_as_of(rule: str, today: date) -> date:
    """The form's default 统计时点: today, or the last day of the previous month, quarter or year."""
    if rule == "month_end":
        return today.replace(day=1) - timedelta(days=1)
    if rule == "quarter_end":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1) - timedelta(days=1)
    if rule == "year_end":
        return date(today.year - 1, 12, 31)
    return today


def fill_report(definition: FormDefinition, region: Region, as_of: date) -> FilledReport:
    """Fill `definition` for `region` on `as_of` (ages and relative dates are taken on that day)."""
    units = row_units(definition, region)
    keys = {key for key, _name in units if key is not None}
    sums: dict[str | None, dict] = defaultdict(lambda: defaultdict(float))
    for key, found in _grouped(definition, region, as_of).items():
        target, total = sums[key if key in keys else None], sums[_TOTAL]
        for name, value in found.items():
            target[name] += value or 0
            total[name] += value or 0
    rows = [_finish(Row(key, name), definition.columns, sums.get(key, {})) for key, name in units]
    total = _finish(Row("total", "合计"), definition.columns, sums.get(_TOTAL, {}))
    return FilledReport(definition, region, as_of, rows, total)
