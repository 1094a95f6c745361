"""Routing the rows of a department's city- or county-wide roster to townships (数据下沉).

A department (部门用户) uploads one file for its whole region. Each row goes to a township:
1. by a township or village column of the file (所属乡镇（街道）, 乡镇代码, 村（社区）…: a code or a name), or by the
   row's grid (a grid code or full grid name), when the file has such a column and the row fills it;
2. else by the township that already holds the person (house, enterprise) in the base database: the townships of
   the entity's active records, looked up column-wise for a whole chunk (basedb answers through collection.handoff);
3. else the row is an error `region_unresolved` with a Chinese message saying why. Nothing is ever guessed: a name
   that several townships share, a code outside the department's region, an entity held by two townships are errors.

A routed row is then placed inside its township as every row is (collection/placing.py), and the merge gives each
record the township of its row (basedb/merge_sql.py).
"""

import re
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from catalog.spec import TableSpec
from grassroots.text import lookup_key
from regions.choices import LEVEL_CODE_LENGTH, RegionLevel
from regions.models import Region
from regions.placement import PROVINCE_NAMES, TOWNSHIP_LENGTH, canonical, strip_prefixes

from .handoff import base_database
from .pipeline.types import ERROR, REGION_UNRESOLVED, UNKNOWN_COLUMN, Issue, Recognition, VerifiedChunk

TOWNSHIP_COLUMN, VILLAGE_COLUMN = "_route_township", "_route_village"
ROUTE_COLUMNS = (TOWNSHIP_COLUMN, VILLAGE_COLUMN)
TOWNSHIP = "_township"  # the routed township of each row, in the verified frame
NAMED = "_route_named"  # the village or grid a routing column named (placement starts there when it finds nothing)

_HEADER_NOISE = re.compile(r"[\s()（）\[\]【】/、·_-]")
_TOWNSHIP_HEADER = re.compile(
    r"^(所属|所在)?(乡镇街道|乡镇|街道|镇街|乡镇办事处|街道办事处)(代码|编码|名称|区划代码)?$"
)
_VILLAGE_HEADER = re.compile(
    r"^(所属|所在)?(村社区|村居|村居委会|村委会|居委会|社区|村|行政村)(代码|编码|名称|区划代码)?$"
)


def is_area_level(region_code: str) -> bool:
    """Is this a department's upload region (the city or a county) rather than a township?"""
    return Region.level_for_code(region_code) in (RegionLevel.CITY, RegionLevel.COUNTY)


def route_columns(recognition: Recognition) -> Recognition:
    """The recognition with its township and village columns (unknown to the catalog) read for routing: they get
    the pseudo items of ROUTE_COLUMNS (never stored as values) and lose their unknown_column warning."""
    taken: dict[int, str] = {}
    for column in recognition.columns:
        if column.item is not None:
            continue
        header = _HEADER_NOISE.sub("", lookup_key(column.header or ""))
        for key, pattern in ((TOWNSHIP_COLUMN, _TOWNSHIP_HEADER), (VILLAGE_COLUMN, _VILLAGE_HEADER)):
            if key not in taken.values() and pattern.match(header):
                taken[column.index] = key
                break
    if not taken:
        return recognition
    columns = [replace(c, item=taken.get(c.index, c.item)) for c in recognition.columns]
    issues = [i for i in recognition.issues if not (i.rule == UNKNOWN_COLUMN and i.column_index in taken)]
    return replace(recognition, columns=columns, issues=issues)


@dataclass
class AreaIndex:
    """Every township, village and grid of a department's region under its code and written names: the codes, and
    canonical name form → the regions it names (a form naming several names none)."""

    area: Region
    codes: set[str]
    forms: dict[str, set[str]]
    prefixes: tuple[str, ...]

    @classmethod
    def build(cls, area: Region) -> "AreaIndex":
        regions = sorted(Region.objects.subtree(area.code).only("code", "name", "level"), key=lambda r: len(r.code))
        # Each name relative to its parent's (a sample village 东山街道示例社区01 is 示例社区01 within its township).
        full = {r.code: canonical(r.name) for r in [*area.ancestors(), *regions]}
        names: dict[str, str] = {}
        for code in sorted(full, key=len):  # parents first: a grid strips its village's relative name
            above = [names[code[:n]] for n in (4, 6, 9, 12) if n < len(code) and code[:n] in names]
            names[code] = strip_prefixes(full[code], above)
        codes, forms = set(), {}
        for region in regions:
            if len(region.code) < TOWNSHIP_LENGTH:
                continue
            codes.add(region.code)
            # Written with or without the names above it: 东山街道, 芝罘区东山街道, 东山街道示例社区01第1网格.
            chain = [names.get(region.code[:n], "") for n in (6, 9, 12) if n < len(region.code)]
            for start in range(len(chain) + 1):
                forms.setdefault("".join(chain[start:]) + names[region.code], set()).add(region.code)
        city = canonical(Region.objects.filter(code=area.code[:4]).values_list("name", flat=True).first() or "")
        return cls(area, codes, forms, (*PROVINCE_NAMES, city))

    def resolve(self, text: str) -> tuple[str | None, str]:
        """(the code of the township, village or grid named, "") or (None, why not, in Chinese) for a written code
        or name."""
        form = canonical(text)
        if form.isdigit():
            if len(form) not in (9, 12, 15):
                return None, "不是乡镇（街道）、村（社区）或网格的区划代码"
            return (form, "") if form in self.codes else (None, f"不是{self.area.name}的区划代码")
        found = self.forms.get(form) or self.forms.get(strip_prefixes(form, self.prefixes))
        if not found:
            return None, f"在{self.area.name}找不到这个名称"
        if len(found) > 1:
            return None, f"在{self.area.name}有{len(found)}个同名区划，请写区划代码或写全乡镇（街道）名称"
        return next(iter(found)), ""


def _unresolved(reason_by_row: dict[int, tuple[str, str, str, int | None]]) -> list[Issue]:
    return [
        Issue(row=row, column=column, item=None, rule=REGION_UNRESOLVED, severity=ERROR, message=message,
              value=value, column_index=index)
        for row, (column, message, value, index) in sorted(reason_by_row.items())
    ]  # fmt: skip


class Router:
    """Routes the verified chunks of one department batch (region `area_code`) to townships; see the module doc.

    `previous`: a township per row already known (a fixed row keeps the township its file gave it)."""

    def __init__(self, spec: TableSpec, area_code: str, *, column_map: dict | None = None):
        self.spec = spec
        self.index = AreaIndex.build(Region.objects.get(code=area_code))
        self.columns = column_map or {}
        self.grid_keys = spec.placement_keys[0]
        self.key_name = "、".join(spec.item(k).name for k in spec.key_items) or "主体标识"

    def _header(self, key: str) -> tuple[str, int | None]:
        column = self.columns.get(key, {})
        default = {TOWNSHIP_COLUMN: "所属乡镇（街道）", VILLAGE_COLUMN: "所属村（社区）"}.get(key, key)
        if key in {i.key for i in self.spec.items}:
            default = self.spec.item(key).name
        return column.get("header", default), column.get("index")

    def apply(self, chunk: VerifiedChunk, previous=None) -> VerifiedChunk:
        """The chunk with its `_township` column; unroutable rows get a region_unresolved error and turn invalid."""
        frame = chunk.frame
        n, rows = len(frame), frame["_row"].to_numpy()
        townships, named = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
        problems: dict[int, tuple] = {}  # Excel row -> (column, message, value, column index)
        blocked: set[int] = set()  # positions whose written township names nothing: not looked up further
        if previous is not None:
            townships = np.array([(p or "")[:TOWNSHIP_LENGTH] or None for p in previous], dtype=object)
        for key in (TOWNSHIP_COLUMN, VILLAGE_COLUMN, *self.grid_keys):
            if key in frame.columns:
                self._by_column(frame[key], key, (townships, named), rows, problems, blocked)
        self._by_holders(frame, townships, rows, problems, blocked)
        issues = _unresolved(problems)
        frame = frame.assign(**{TOWNSHIP: townships, NAMED: named})
        frame = frame.drop(columns=[c for c in ROUTE_COLUMNS if c in frame.columns])
        if issues:
            frame["_valid"] = frame["_valid"].to_numpy() & pd.notna(townships)
        merged = sorted([*chunk.issues, *issues], key=lambda i: (i.row or 0, i.column_index or 0))
        return replace(chunk, frame=frame, issues=merged)

    def _by_column(self, column: pd.Series, key: str, routed, rows, problems, blocked) -> None:
        """Route the rows still without a township by the written codes or names of one column (each distinct
        text resolved once). A filled township or village cell that names nothing is an error; a grid text that
        names nothing is left to the next way (grids are often written loosely: 第1网格)."""
        townships, named = routed
        texts = column.to_numpy(dtype=object)
        todo = np.flatnonzero(pd.isna(townships) & pd.notna(texts) & (texts != ""))
        todo = np.array([p for p in todo if int(p) not in blocked], dtype=int)
        if not len(todo):
            return
        codes, distinct = pd.factorize(pd.Series(texts[todo]).astype(str))
        resolved = [self.index.resolve(text) for text in distinct]
        found = np.array([code for code, _ in resolved], dtype=object)[codes]
        townships[todo] = [township_of(code) for code in found]
        named[todo] = found
        if key in ROUTE_COLUMNS:
            header, index = self._header(key)
            for position in todo[pd.isna(found)]:
                text = str(texts[position])
                why = resolved[distinct.get_loc(text)][1]
                message = f"{header}“{text}”{why}，无法确定本行所属的乡镇（街道）。请核对后改正"
                problems[int(rows[position])] = (header, message, text, index)
                blocked.add(int(position))

    def _by_holders(self, frame: pd.DataFrame, townships, rows, problems, blocked) -> None:
        """Route the remaining rows by the townships holding their entity's active records in the base database."""
        todo = [p for p in np.flatnonzero(pd.isna(townships)) if int(p) not in blocked]
        if not todo:
            return
        keys = frame["_key"].to_numpy(dtype=object)
        wanted = sorted({keys[p] for p in todo if keys[p]})
        holders = base_database().township_holders(self.spec.code, wanted) if wanted else {}
        inside = self.index.area.code
        names = dict(
            Region.objects.filter(code__in={t for ts in holders.values() for t in ts}).values_list("code", "name")
        )
        header, index = self._header(self.spec.key_items[0] if self.spec.key_items else "")
        for position in todo:
            key, row = keys[position], int(rows[position])
            held = holders.get(key, []) if key else []
            mine = [t for t in held if t.startswith(inside)]
            if len(mine) == 1 and len(held) == 1:
                townships[position] = mine[0]
                continue
            problems[row] = (header, self._holder_message(key, held, mine, names), key or "", index)

    def _holder_message(self, key, held: list[str], mine: list[str], names: dict) -> str:
        area = self.index.area.name
        add = "请在文件中增加“所属乡镇（街道）”列（填写乡镇（街道）名称或代码）"
        unnamed = "文件中没有填写所属乡镇（街道）、村（社区）或网格，"
        if not key:
            return f"{unnamed}且本行{self.key_name}有误，无法在基础库中查找归属；{add}"
        if not held:
            return f"{unnamed}基础库中也没有此{self.key_name}的记录，无法确定归属；{add}"
        listed = "、".join(f"{names.get(t, t)}（{t}）" for t in held)
        if not mine:
            return f"此{self.key_name}在基础库中属于{listed}，不在{area}，本部门不能将其下沉到辖区外；请核对"
        return f"此{self.key_name}在基础库中同时属于{listed}，无法确定归属；{add}"


def township_of(code: str | None) -> str | None:
    """The township of a place code (None for none)."""
    return code[: LEVEL_CODE_LENGTH[RegionLevel.TOWNSHIP]] if code else None
