"""The data table of a subcategory (数据表): every record of one subcategory in the user's region as one row per record
and one column per catalog item, as KoboToolbox users know it, with search, sort, column choice and filters.

Everything is decided at the database: `.restrict(user, VIEW)`, the drill-down (`region`, a code prefix of the
records' place), the status, the code-table filters and the name or key search narrow one queryset, which is sorted
by one item (a JSON key, `nulls last`, then the id) and paginated with LIMIT/OFFSET; only the page's rows reach
Python. Values are shown as everywhere (basedb.labels.Presenter): code labels, personal items masked.

Personal items (the catalog's sensitivity `personal`) are shown masked and are neither sortable nor filterable: an
order or a filter over the clear value would disclose what the mask hides. A search by name or key is posted and
kept in the session (views), never put in a URL.
"""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.http import QueryDict

from catalog.choices import ElementType
from catalog.spec import ItemSpec, TableSpec
from regions.access import scope_for
from regions.choices import Action
from regions.models import Region

from .choices import RecordStatus
from .labels import EMPTY, PERSONAL, Presenter
from .levels import Level, in_subtree, level_for
from .models import Record

DEFAULT_COLUMNS = 8  # columns shown until the user chooses: the catalog's first items
FILTER_CHOICES_MAX = 300  # a code table longer than this gets no select (it would be unusable)
ALL_STATUSES = "all"
STATUS_CHOICES = [(RecordStatus.ACTIVE, "有效"), (RecordStatus.RETIRED, "已注销"), (ALL_STATUSES, "全部")]
FILTER_PREFIX = "f_"
BOOLEAN_CHOICES = {"true": "是", "false": "否"}


def is_personal(item: ItemSpec) -> bool:
    return item.sensitivity == PERSONAL


def filter_choices(item: ItemSpec) -> dict[str, str] | None:
    """Stored value → label of an item offered as a select filter (a code table or 是/否), else None."""
    if is_personal(item):
        return None
    if item.type == ElementType.BOOLEAN:
        return BOOLEAN_CHOICES
    if item.code_table is not None and 0 < len(item.code_table.labels) <= FILTER_CHOICES_MAX:
        return item.code_table.labels
    return None


@dataclass
class TableQuery:
    """What the user asked of the table (from the query string): columns, sort, status, item filters, page."""

    spec: TableSpec
    columns: list[str]
    sort: str = ""  # an item key, "-key" for descending; "" is the records' order (id)
    status: str = RecordStatus.ACTIVE
    filters: dict[str, str] = field(default_factory=dict)  # item key → stored value
    search: str = ""  # the posted name or key search (from the session)

    @classmethod
    def parse(cls, spec: TableSpec, params: QueryDict, columns: list[str] | None, search: str = "") -> "TableQuery":
        """The query of `params`; unknown keys, columns and values are dropped, never an error."""
        items = {i.key: i for i in spec.items}
        columns = [c for c in (columns or []) if c in items] or [i.key for i in spec.items[:DEFAULT_COLUMNS]]
        sort = params.get("sort", "")
        if sort.lstrip("-") not in items or is_personal(items[sort.lstrip("-")]):
            sort = ""
        status = params.get("status", RecordStatus.ACTIVE)
        status = status if status in dict(STATUS_CHOICES) else RecordStatus.ACTIVE
        filters = {}
        for key, item in items.items():
            value, choices = params.get(f"{FILTER_PREFIX}{key}", ""), filter_choices(item)
            if value and choices and value in choices:
                filters[key] = value
        return cls(spec, columns, sort, status, filters, search)

    def items(self) -> list[ItemSpec]:
        """The chosen columns' items, in catalog order."""
        return [i for i in self.spec.items if i.key in self.columns]

    def filterable(self) -> list[dict]:
        """The select filters: item, its choices (stored value → label) and the value chosen."""
        return [
            {"item": i, "choices": c, "selected": self.filters.get(i.key, "")}
            for i in self.spec.items
            if (c := filter_choices(i))
        ]

    def records(self, user, level: Level) -> QuerySet:
        """The table's records, narrowed, searched and sorted at the database (nothing evaluated yet)."""
        records = Record.objects.restrict(user, Action.VIEW).filter(subcategory__code=self.spec.code)
        records = in_subtree(records, level.region.code)
        if self.status != ALL_STATUSES:
            records = records.filter(status=self.status)
        for key, value in self.filters.items():
            records = records.filter(**{f"values__{key}": _stored(self.spec.item(key), value)})
        if self.search:
            q = self.search
            records = records.filter(
                Q(entity__key=q.upper()) | Q(entity__key=q) | Q(entity__display_name__startswith=q)
            )
        if not self.sort:
            return records.order_by("id")
        key = self.sort.lstrip("-")
        order = F(f"values__{key}")
        order = order.desc(nulls_last=True) if self.sort.startswith("-") else order.asc(nulls_last=True)
        return records.order_by(order, "id")


def table_level(user, code: str | None) -> Level | None:
    """Where the table is drilled to: as on the record list (levels.level_for); for a department user, whose grants
    hold some subcategories only, its department's region and the regions below it (the records themselves are
    still narrowed by `.restrict`, subcategory by subcategory)."""
    level = level_for(user, code)
    if level is not None:
        return level
    granted = [prefix for prefix, _codes in scope_for(user, Action.VIEW).limited]
    code = (code or "").strip() or (granted[0] if granted else "")
    home = next((p for p in granted if code.startswith(p)), None)
    if home is None:
        return None
    regions = Region.objects.in_bulk([home, code])
    if code not in regions:
        return None
    return Level(regions[code], [regions[home]] + ([regions[code]] if code != home else []))


def _stored(item: ItemSpec, value: str):
    """A filter's value as the JSON holds it: booleans as true/false, codes as text."""
    if item.type == ElementType.BOOLEAN:
        return value == "true"
    return value


def child_figures(records: QuerySet, level: Level) -> list[dict]:
    """The drill-down of the table: each child region of the level with its records of the table (one GROUP BY on
    the place's code prefix), then those placed at the level's region itself (未落位到下级)."""
    length = level.child_length
    if length is None:
        return []
    counts = dict(
        records.order_by().annotate(unit=Substr("place_id", 1, length)).values("unit").annotate(n=Count("id"))
        .values_list("unit", "n")
    )  # fmt: skip
    names = dict(Region.objects.filter(code__in=list(counts)).values_list("code", "name"))
    return [
        {"code": code, "name": names.get(code, "未落到下级"), "records": n, "leftover": code == level.region.code}
        for code, n in sorted(counts.items())
    ]


def table_rows(page, query: TableQuery, presenter: Presenter, region_names: dict[str, str]) -> list[dict]:
    """The page's records as rows of displayed cells (masked as everywhere) and their place's name."""
    items, code = query.items(), query.spec.code
    return [
        {
            "record": r,
            "cells": [presenter.value(code, i.key, r.values.get(i.key)) for i in items],
            "place": region_names.get(r.place_id, r.place_id),
            "placed": r.place_id != r.region_id,
        }
        for r in page
    ]


EXPORT_COLUMNS = ("乡镇（街道）", "落位", "状态")
EXPORT_CHUNK = 2000


def write_table(book, query: TableQuery, records: QuerySet, region_names: dict[str, str]) -> int:
    """The table as it is shown (chosen columns, filters, sort; masked) on one sheet, written row by row from a
    server-side cursor; returns the number of records written."""
    items, code, presenter = query.items(), query.spec.code, Presenter()
    sheet = book.add_sheet(f"{query.spec.code}{query.spec.name}")
    book.write_values(sheet, 0, [i.name for i in items] + list(EXPORT_COLUMNS), bold=True)
    sheet.freeze_panes(1, 0)
    statuses = dict(RecordStatus.choices)
    rows = records.values_list("values", "region_id", "place_id", "status").iterator(chunk_size=EXPORT_CHUNK)
    n = 0
    for n, (values, region, place, status) in enumerate(rows, start=1):
        cells = [_cell(presenter.value(code, i.key, values.get(i.key)).text) for i in items]
        place_name = region_names.get(place, place) if place != region else "未落位"
        book.write_values(sheet, n, [*cells, region_names.get(region, region), place_name, statuses.get(status)])
    return n


def _cell(text: str) -> str | None:
    return None if text == EMPTY else text
