"""Finding the table in a sheet: which subcategory it holds, where its header is, which column holds which item.

The header is the row among the first 20 that best matches a subcategory's item names and aliases, after
normalising both (NFKC, no whitespace, no '*' markers, no trailing bracketed note such as （必填）). A title row
above it is ignored; a two-row header (group labels over specific names, or names merged down over two rows) is
combined when that matches more items than the lower row alone.

Without a chosen subcategory the table is the candidate that (in this order) has all its required columns, matches
the most columns (a column matched only through an alias counts ALIAS_WEIGHT of an exact name), lacks the fewest
required or key items, has its items in the largest share of the file's columns, and comes first in the catalog
(so a plain 姓名/公民身份号码/性别/现住址 file is 户籍人口 P0101, not some specialised person table).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from catalog.spec import ItemSpec, TableSpec
from grassroots.text import compact

from .types import MISSING_COLUMN, UNKNOWN_COLUMN, WARNING, ColumnMap, Issue, Recognition, RejectedFile

INSTRUCTION_SHEETS = frozenset({"说明", "填表说明", "填报说明", "使用说明", "填写说明", "注意事项"})
_TRAILING_NOTE = re.compile(r"(?:\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕)$")


def normalise_header(text: str | None) -> str:
    """Header text as compared with item names: NFKC, no whitespace, no '*', no trailing bracketed note."""
    if not text:
        return ""
    value = compact(text).replace("*", "").replace("※", "")
    while True:
        stripped = _TRAILING_NOTE.sub("", value)
        if stripped == value or not stripped:
            return value
        value = stripped


ALIAS_WEIGHT = 0.5  # a column matched only through an alias (身份证号, 手机号) counts this much of an exact name
_name_cache: dict[tuple[str, str], dict[str, str]] = {}
_exact_cache: dict[tuple[str, str], frozenset[str]] = {}


def header_names(spec: TableSpec) -> dict[str, str]:
    """Normalised item name and aliases -> element key (names win over aliases of other items)."""
    cache_key = (spec.code, spec.catalog_version)
    names = _name_cache.get(cache_key)
    if names is None:
        names = {}
        for item in spec.items:
            for alias in item.aliases:
                names.setdefault(normalise_header(alias), item.key)
        for item in reversed(spec.items):
            names[normalise_header(item.name)] = item.key
        for item in spec.items:
            names.setdefault(normalise_header(item.key), item.key)  # an export of our own may use element keys
        names.pop("", None)
        _name_cache[cache_key] = names
    return names


def exact_names(spec: TableSpec) -> frozenset[str]:
    """Normalised item names and element keys of the spec (the header texts that are not mere aliases)."""
    cache_key = (spec.code, spec.catalog_version)
    names = _exact_cache.get(cache_key)
    if names is None:
        names = frozenset(normalise_header(item.name) for item in spec.items) | {item.key for item in spec.items}
        _exact_cache[cache_key] = names
    return names


@dataclass
class HeaderMatch:
    """The best header found for one subcategory in one sheet (before the missing-column check)."""

    spec: TableSpec
    header_row: int  # Excel row number of the (lower) header row
    headers: dict[int, str]  # 0-based column -> header text as in the file
    keys: dict[int, str | None]  # 0-based column -> element key or None
    matched: int = 0
    score: float = 0.0
    duplicates: dict[int, int] = field(default_factory=dict)  # column -> earlier column mapped to the same key
    exact: int = 0  # matched columns whose header is the item's name (or key), not an alias

    @property
    def weighted(self) -> float:
        """Matched columns, an alias-only match counting ALIAS_WEIGHT."""
        return self.exact + ALIAS_WEIGHT * (self.matched - self.exact)

    @property
    def acceptable(self) -> bool:
        written = len(self.headers)
        return self.matched >= 3 or (self.matched >= min(2, len(self.spec.items)) and self.matched * 3 >= written)


def _row_keys(row: list, names: dict[str, str]) -> dict[int, tuple[str, str | None]]:
    out = {}
    for index, text in enumerate(row):
        if text is not None and str(text).strip():
            out[index] = (str(text), names.get(normalise_header(text)))
    return out


def _build(spec: TableSpec, row_number: int, cells: dict[int, tuple[str, str | None]]) -> HeaderMatch:
    headers, keys, seen, duplicates = {}, {}, {}, {}
    for index in sorted(cells):
        text, key = cells[index]
        headers[index] = text
        if key is not None and key in seen:
            duplicates[index] = seen[key]
            key = None
        elif key is not None:
            seen[key] = index
        keys[index] = key
    matched = len(seen)
    union = len(headers) + len(spec.items) - matched
    exact_set = exact_names(spec)
    exact = sum(1 for index in seen.values() if normalise_header(headers[index]) in exact_set)
    score = matched / union if union else 0.0
    return HeaderMatch(spec, row_number, headers, keys, matched, score, duplicates, exact)


def _combined(upper: dict, lower: dict) -> dict:
    """Two header rows as one: the lower (specific) cell where it is written, else the group/merged upper cell."""
    cells = dict(upper)
    for index, (text, key) in lower.items():
        if key is not None or index not in upper or upper[index][1] is None:
            cells[index] = (text, key)
    return cells


def match_header(head: list[list], spec: TableSpec) -> HeaderMatch | None:
    """The row (or pair of rows) among `head` that best matches the spec's items, or None when nothing matches."""
    names = header_names(spec)
    rows = [_row_keys(row, names) for row in head]
    best: HeaderMatch | None = None
    for index, cells in enumerate(rows):
        candidates = [_build(spec, index + 1, cells)]
        if index > 0 and rows[index - 1]:
            candidates.append(_build(spec, index + 1, _combined(rows[index - 1], cells)))
        for candidate in candidates:
            if best is None or (candidate.matched, candidate.score) > (best.matched, best.score):
                best = candidate
    return best if best is not None and best.matched > 0 else None


def to_recognition(match: HeaderMatch, sheet_name: str) -> Recognition:
    """The Recognition of a match: the column map and the unknown_column warnings; RejectedFile on missing columns."""
    spec = match.spec
    present = {key for key in match.keys.values() if key}
    missing = [item for item in spec.items if item.required and item.key not in present]
    if missing:
        raise RejectedFile(missing_columns_message(spec, missing, sheet_name), code=MISSING_COLUMN)
    columns = [ColumnMap(index, match.headers[index], match.keys[index]) for index in sorted(match.headers)]
    issues = [_unknown_column(match, column) for column in columns if column.item is None]
    return Recognition(
        spec=spec,
        sheet_name=sheet_name,
        header_row=match.header_row,
        data_start_row=match.header_row + 1,
        columns=columns,
        score=round(match.score, 4),
        issues=issues,
    )


def missing_columns_message(spec: TableSpec, missing: Iterable[ItemSpec], sheet_name: str) -> str:
    names = "、".join(item.name for item in missing)
    return (
        f"缺少必填列：{names}（工作表“{sheet_name}”，数据表“{spec.name}”）。"
        "请在表头中补上这些列（列名可参照平台模板）后重新上传。"
    )


def _unknown_column(match: HeaderMatch, column: ColumnMap) -> Issue:
    if column.index in match.duplicates:
        earlier = match.headers[match.duplicates[column.index]]
        message = f"列“{column.header}”与前面的列“{earlier}”对应同一数据项，本列已忽略；请删除重复的列。"
    else:
        message = f"列“{column.header}”不是数据表“{match.spec.name}”的数据项，本列已忽略；如需保留请与数据管理员联系。"
    return Issue(
        row=match.header_row,
        column=column.header,
        item=None,
        rule=UNKNOWN_COLUMN,
        severity=WARNING,
        message=message,
        column_index=column.index,
    )


def is_instruction_sheet(name: str) -> bool:
    return normalise_header(name) in INSTRUCTION_SHEETS


def best_match(head: list[list], specs: Mapping[str, TableSpec], sheet_name: str = "") -> HeaderMatch | None:
    """The subcategory whose items best match the sheet's header (a sheet named after a subcategory wins)."""
    name = normalise_header(sheet_name)
    named = [spec for spec in specs.values() if name and name in (normalise_header(spec.name), spec.code)]
    for spec in named:
        match = match_header(head, spec)
        if match is not None and match.acceptable:
            return match
    best, best_rank = None, None
    for order, spec in enumerate(specs.values()):
        match = match_header(head, spec)
        if match is None:
            continue
        rank = detection_rank(match, order)
        if best_rank is None or rank > best_rank:
            best, best_rank = match, rank
    return best if best is not None and best.acceptable else None


def detection_rank(match: HeaderMatch, order: int) -> tuple:
    """How well a header match identifies its subcategory (greater is better); `order` is its catalog position.

    All required columns present beats any missing one; then more (weighted) matched columns; then fewer unmatched
    required or key items; then the larger share of the file's columns matched; then the earlier catalog position.
    """
    spec = match.spec
    present = {key for key in match.keys.values() if key}
    missing_required = sum(1 for item in spec.items if item.required and item.key not in present)
    unmatched_essential = sum(
        1 for item in spec.items if (item.required or item.key in spec.key_items) and item.key not in present
    )
    share = match.matched / len(match.headers) if match.headers else 0.0
    return (missing_required == 0, match.weighted, -unmatched_essential, share, -order)


NO_HEADER_MESSAGE = (
    "未找到表头：文件前 20 行中没有与数据目录中的数据项名称相符的表头行。"
    "请使用平台提供的模板，或把表头改为目录中的名称（如“姓名”“公民身份号码”）后重新上传。"
)


def wrong_table_message(spec: TableSpec) -> str:
    return (
        f"文件的表头与所选数据表“{spec.name}”（{spec.code}）不符，未找到该表的表头行。"
        "请确认选择的数据表是否正确，或使用该表的模板填写后重新上传。"
    )
