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
_NOTE_ENDS = (")", "]", "】", "〕")
_TRAILING_NOTE = re.compile(r"(?:\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕)$")


def normalise_header(text: str | None) -> str:
    """Header text as compared with item names: NFKC, no whitespace, no '*', no trailing bracketed note."""
    if not text:
        return ""
    value = compact(text).replace("*", "").replace("※", "")
    while value.endswith(_NOTE_ENDS):
        stripped = _TRAILING_NOTE.sub("", value)
        if stripped == value or not stripped:
            return value
        value = stripped
    return value


MAX_COLUMN_WARNINGS = 50  # unknown columns warned one by one; the rest in one warning
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
    keys: dict[int, str]  # 0-based column -> element key, for the columns that name an item (first of a key only)
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


class PreparedHead:
    """The first rows of a sheet with their header texts normalised once, for the match of every subcategory: a
    sheet of 9,000 columns is matched against 177 tables in a few milliseconds each, not 9,000 look-ups each."""

    def __init__(self, head: list[list]):
        self.head = head
        self.written: list[dict[int, str]] = []  # per row: column -> text as in the file (non-blank cells)
        self.at: list[dict[str, list[int]]] = []  # per row: normalised text -> its columns, left to right
        for row in head:
            written, at = {}, {}
            for index, text in enumerate(row):
                if text is not None and str(text).strip():
                    written[index] = str(text)
                    at.setdefault(normalise_header(text), []).append(index)
            self.written.append(written)
            self.at.append(at)
        self._merged: dict[int, dict[int, str]] = {}

    def matches(self, row: int, names: dict[str, str]) -> dict[int, str]:
        """Column -> element key of the row's cells that name an item (`names`: header_names of a spec)."""
        at, found = self.at[row], {}
        if len(names) <= len(at):
            for name, key in names.items():
                for index in at.get(name, ()):
                    found[index] = key
        else:
            for text, indexes in at.items():
                key = names.get(text)
                if key is not None:
                    found.update(dict.fromkeys(indexes, key))
        return found

    def merged(self, row: int) -> dict[int, str]:
        """Texts of rows `row - 1` and `row` as one, the lower row's where written (see _combined)."""
        if row not in self._merged:
            self._merged[row] = {**self.written[row - 1], **self.written[row]}
        return self._merged[row]


_last_prepared: tuple[list, PreparedHead] | None = None


def prepare_head(head: "list[list] | PreparedHead") -> PreparedHead:
    """The head prepared once: the last head prepared is kept (recognition matches one head against every spec)."""
    global _last_prepared
    if isinstance(head, PreparedHead):
        return head
    last = _last_prepared
    if last is not None and last[0] is head:
        return last[1]
    prepared = PreparedHead(head)
    _last_prepared = (head, prepared)
    return prepared


def _build(spec: TableSpec, row_number: int, written: dict[int, str], matches: dict[int, str]) -> HeaderMatch:
    keys, seen, duplicates = {}, {}, {}
    for index in sorted(matches):
        key = matches[index]
        if key in seen:
            duplicates[index] = seen[key]
        else:
            seen[key], keys[index] = index, key
    matched = len(seen)
    union = len(written) + len(spec.items) - matched
    exact_set = exact_names(spec)
    exact = sum(1 for index in seen.values() if normalise_header(written[index]) in exact_set)
    score = matched / union if union else 0.0
    return HeaderMatch(spec, row_number, written, keys, matched, score, duplicates, exact)


def _combined(head: PreparedHead, row: int, upper: dict[int, str], lower: dict[int, str]) -> tuple[dict, dict]:
    """Two header rows as one: the lower (specific) cell where it is written, except where the lower cell names no
    item and the upper (group or merged) cell does. (texts, matches) of the combination."""
    written = head.merged(row)
    kept_upper = [i for i in upper if i not in lower and i in head.written[row]]
    if kept_upper:
        written = dict(written)
        for index in kept_upper:
            written[index] = head.written[row - 1][index]
    return written, {**upper, **lower}


def match_header(head: "list[list] | PreparedHead", spec: TableSpec) -> HeaderMatch | None:
    """The row (or pair of rows) among `head` that best matches the spec's items, or None when nothing matches."""
    head = prepare_head(head)
    names = header_names(spec)
    best: HeaderMatch | None = None
    upper: dict[int, str] = {}
    for index, written in enumerate(head.written):
        lower = head.matches(index, names) if written else {}
        candidates = [_build(spec, index + 1, written, lower)]
        if index > 0 and head.written[index - 1]:
            candidates.append(_build(spec, index + 1, *_combined(head, index, upper, lower)))
        for candidate in candidates:
            if best is None or (candidate.matched, candidate.score) > (best.matched, best.score):
                best = candidate
        upper = lower
    return best if best is not None and best.matched > 0 else None


def to_recognition(match: HeaderMatch, sheet_name: str) -> Recognition:
    """The Recognition of a match: the column map and the unknown_column warnings; RejectedFile on missing columns."""
    spec = match.spec
    present = {key for key in match.keys.values() if key}
    missing = [item for item in spec.items if item.required and item.key not in present]
    if missing:
        raise RejectedFile(missing_columns_message(spec, missing, sheet_name), code=MISSING_COLUMN)
    columns = [ColumnMap(index, match.headers[index], match.keys.get(index)) for index in sorted(match.headers)]
    unknown = [column for column in columns if column.item is None]
    issues = [_unknown_column(match, column) for column in unknown[:MAX_COLUMN_WARNINGS]]
    if len(unknown) > MAX_COLUMN_WARNINGS:
        issues.append(_more_unknown_columns(match, unknown[MAX_COLUMN_WARNINGS:]))
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


def _more_unknown_columns(match: HeaderMatch, rest: list[ColumnMap]) -> Issue:
    """One warning for the unknown columns past the first MAX_COLUMN_WARNINGS (an export of thousands of columns
    would otherwise store and show a warning per column)."""
    first = rest[0]
    return Issue(
        row=match.header_row,
        column=first.header,
        item=None,
        rule=UNKNOWN_COLUMN,
        severity=WARNING,
        message=f"另有 {len(rest)} 列（从列“{first.header}”起）不是数据表“{match.spec.name}”的数据项，已全部忽略；"
        "如需保留请与数据管理员联系。",
        column_index=first.index,
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


def best_match(
    head: "list[list] | PreparedHead", specs: Mapping[str, TableSpec], sheet_name: str = ""
) -> HeaderMatch | None:
    """The subcategory whose items best match the sheet's header (a sheet named after a subcategory wins)."""
    head = prepare_head(head)
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
