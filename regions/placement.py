"""Placing rows at the lowest region known: a grid, else a village (community), else the township.

A row names its grid as people write it: the grid's code (370602002901001), its full name (芝罘区东山街道示例社区01
第01网格), its name within the township (示例社区01第01网格) or, when the village is known (named in the grid text or
in the row's address), only the grid's number within the village (第1网格, 1网格, 一网格). A row without a known grid
is placed in the village its address names, else in its township.

Both sides go through the same `canonical` form (NFKC, no whitespace, lower case, a trailing grid number written
"#n"), so a region's name and a typed name compare as text. A `PlaceIndex` holds one township's villages and grids
under every written form (built from the region tree in one query); a `Placer` places whole columns: each distinct
grid text is resolved once (a handful per township), addresses are searched with one regular expression per
township, and the results are taken back to the rows with numpy. Nothing here knows the catalog: the callers say
which columns hold the grid and the addresses (catalog roles `grid`, `location`, `address`).
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

import numpy as np
import pandas as pd
from django.db.models import Q

from grassroots.text import lookup_key

from .choices import LEVEL_CODE_LENGTH, RegionLevel
from .models import Region, prefix_bounds

COUNTY_LENGTH = LEVEL_CODE_LENGTH[RegionLevel.COUNTY]
TOWNSHIP_LENGTH = LEVEL_CODE_LENGTH[RegionLevel.TOWNSHIP]
VILLAGE_LENGTH = LEVEL_CODE_LENGTH[RegionLevel.VILLAGE]
GRID_LENGTH = LEVEL_CODE_LENGTH[RegionLevel.GRID]
PROVINCE_NAMES = ("山东省", "山东")

_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ORDINAL = re.compile(
    r"\s*第?\s*([0-9]+|[零〇一二两三四五六七八九十百]+)\s*号?\s*网格\s*$|\s*网格\s*([0-9]+)\s*号?\s*$"
)
_PUNCTUATION = re.compile(r"[-_·•.,，、/()（）\[\]【】]")


def chinese_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105; None for text that is not such a number."""
    if not text:
        return None
    total, current = 0, 0
    for char in text:
        if char in _NUMERALS:
            current = _NUMERALS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _ordinal(number: str) -> int | None:
    return int(number) if number.isdigit() else chinese_number(number)


def _plain(text: object) -> str:
    return _PUNCTUATION.sub("", lookup_key(text))


def canonical_forms(text: object) -> list[str]:
    """The forms a written name compares in, best first: `canonical`, then, when a number follows a name's own
    digits with nothing between them (示例社区011网格), the other ways of splitting the digits (示例社区01 + 1)."""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not raw:
        return []
    match = _ORDINAL.search(raw)
    number = (match.group(1) or match.group(2)) if match else None
    value = _ordinal(number) if number else None
    if value is None:
        return [_plain(raw)]
    head = _plain(raw[: match.start()])
    forms = [f"{head}#{value}"]
    if number.isdigit() and match.group(0)[:1].isdigit():
        forms += [f"{head}{number[:cut]}#{int(number[cut:])}" for cut in range(1, len(number))]
    return list(dict.fromkeys(forms))


def canonical(text: object) -> str:
    """The one form in which region names and written names compare: NFKC, no whitespace or punctuation, lower case,
    a trailing grid number as '#n' (第01网格, 1网格, 一网格, 网格1 → '#1')."""
    forms = canonical_forms(text)
    return forms[0] if forms else ""


def strip_prefixes(text: str, prefixes: Iterable[str]) -> str:
    """`text` without each of `prefixes` (canonical forms, in order) that it starts with."""
    for prefix in prefixes:
        if prefix and text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
    return text


SEPARATOR = "\x1f"  # between a grid text and a village code in one factorised key (pandas strings drop NUL)
AMBIGUOUS = ""  # a written form that names several regions of a township names none


def _add(table: dict, key, code: str) -> None:
    if not key:
        return
    table[key] = code if table.get(key, code) == code else AMBIGUOUS


@dataclass
class PlaceIndex:
    """One township's villages and grids under every written form (see the module docstring)."""

    township: str
    prefixes: tuple[str, ...]  # canonical province, city, county and township names, stripped from written names
    grids: dict[str, str] = field(default_factory=dict)  # written form within the township → grid code
    villages: dict[str, str] = field(default_factory=dict)  # village name within the township → village code
    village_grids: dict[tuple[str, str], str] = field(default_factory=dict)  # (village code, form in it) → grid
    codes: set[str] = field(default_factory=set)  # every village and grid code of the township
    _address_pattern: re.Pattern | None = None

    @property
    def has_places(self) -> bool:
        return bool(self.codes)

    def address_pattern(self) -> re.Pattern | None:
        """One regular expression finding any of the township's village names, longest first."""
        if self._address_pattern is None and self.villages:
            names = sorted((n for n, c in self.villages.items() if c and len(n) >= 2), key=len, reverse=True)
            self._address_pattern = re.compile("(" + "|".join(map(re.escape, names)) + ")") if names else None
        return self._address_pattern

    def resolve(self, text: str, village: str | None = None) -> str | None:
        """The village or grid code a written grid text names in this township (None: none, or several)."""
        for form in canonical_forms(text):
            found = self._resolve_form(form, village)
            if found:
                return found
        return None

    def _resolve_form(self, form: str, village: str | None) -> str | None:
        if form.isdigit():
            return form if form in self.codes else None
        within = strip_prefixes(form, self.prefixes)
        found = self.grids.get(within) or self.villages.get(within)
        if found:
            return found
        for name, code in sorted(self.villages.items(), key=lambda item: -len(item[0])):
            if code and within.startswith(name) and len(within) > len(name):
                found = self.village_grids.get((code, within[len(name) :]))
                if found:
                    return found
        if village:
            return self.village_grids.get((village, within)) or None
        return None


def build_index(township: Region, below: Sequence[Region], names: Sequence[str]) -> PlaceIndex:
    """The PlaceIndex of `township` from its villages and grids (`below`) and its ancestors' names, city first."""
    own = canonical(township.name)
    index = PlaceIndex(township.code, (*PROVINCE_NAMES, *(canonical(n) for n in names), own))
    villages = {r.code: strip_prefixes(canonical(r.name), (own,)) for r in below if r.level == RegionLevel.VILLAGE}
    for code, name in villages.items():
        _add(index.villages, name, code)
        index.codes.add(code)
    for grid in (r for r in below if r.level == RegionLevel.GRID):
        village = grid.code[:VILLAGE_LENGTH]
        village_name = villages.get(village, "")
        within_township = strip_prefixes(canonical(grid.name), (own,))
        within_village = strip_prefixes(within_township, (village_name,))
        index.codes.add(grid.code)
        _add(index.grids, within_township, grid.code)
        _add(index.grids, village_name + within_village, grid.code)
        if not within_village.startswith("#"):  # a grid with a name of its own (滨海花园网格): enough on its own
            _add(index.grids, within_village, grid.code)
        _add(index.village_grids, (village, within_village), grid.code)
    return index


@dataclass
class Placement:
    """Where each row goes: `places` (a region code per row), and per row the other township whose grid the row's
    grid text names (`foreign`: (code, name) or None) and whether a grid outside the uploader's village was named
    (`outside`)."""

    places: np.ndarray
    foreign: np.ndarray
    outside: np.ndarray


def _column(values, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    return np.where(pd.isna(array), None, array) if len(array) else array


class Placer:
    """Places rows of one or more townships; each township's index is read once and kept for the placer's life."""

    def __init__(self) -> None:
        self._indexes: dict[str, PlaceIndex] = {}
        self._names: tuple[dict, dict] | None = None  # canonical county names → code; township names → [(code, name)]
        self._divisions: dict[str, str] | None = None  # county and township codes → name

    def index(self, township: str) -> PlaceIndex:
        if township not in self._indexes:
            self.preload([township])
        return self._indexes[township]

    def preload(self, townships: Iterable[str]) -> None:
        """Read the indexes of these townships: one query for their villages and grids, one for their names."""
        wanted = sorted({t for t in townships if t and t not in self._indexes})
        if not wanted:
            return
        heads = Region.objects.in_bulk([*wanted, *{c[:n] for c in wanted for n in (4, 6)}])
        below: dict[str, list[Region]] = {code: [] for code in wanted}
        inside = reduce(or_, (Q(code__gt=c, code__lt=prefix_bounds(c)[1]) for c in wanted))
        for region in Region.objects.filter(inside).only("code", "name", "level"):
            below[region.code[:TOWNSHIP_LENGTH]].append(region)
        for code in wanted:
            township = heads.get(code) or Region(code=code, name="", level=RegionLevel.TOWNSHIP)
            names = [heads[a].name for a in (code[:4], code[:6]) if a in heads]
            self._indexes[code] = build_index(township, below[code], names)

    def place(self, townships, grids=None, addresses: Sequence = (), *, floor: str | None = None) -> Placement:
        """Place rows: `townships` (one code, or one per row), their grid texts and their address texts (several
        columns: the first naming a village wins). `floor`, a village code: every place stays inside it, and a grid
        named outside it is marked in `outside`."""
        n = len(grids) if grids is not None else len(addresses[0]) if addresses else len(townships)
        towns = np.full(n, townships, dtype=object) if isinstance(townships, str) else _column(townships, n)
        grid_texts, address_columns = _column(grids, n), [_column(a, n) for a in addresses]
        placement = Placement(towns.copy(), np.full(n, None, dtype=object), np.zeros(n, dtype=bool))
        present = [t for t in pd.unique(towns) if t]
        self.preload(present)
        for township in present:
            rows = np.flatnonzero(towns == township)
            self._place_township(self._indexes[township], rows, grid_texts, address_columns, placement, floor)
        return placement

    def _place_township(self, index: PlaceIndex, rows, grid_texts, address_columns, placement, floor) -> None:
        village = _villages_named(index, [column[rows] for column in address_columns], len(rows))
        texts, found = grid_texts[rows], np.full(len(rows), None, dtype=object)
        written = np.flatnonzero(pd.notna(texts) & (texts != ""))
        if len(written):
            # Each distinct (grid text, village of the address) is resolved once.
            villages = pd.Series(village[written]).fillna("").astype(str)
            keys = pd.Series(texts[written]).astype(str) + SEPARATOR + villages
            codes, distinct = pd.factorize(keys)
            resolved = [self._resolve(index, key) for key in distinct]
            found[written] = np.array([code for code, _ in resolved], dtype=object)[codes]
            placement.foreign[rows[written]] = np.array([other for _, other in resolved] + [None], dtype=object)[codes]
        chosen = np.where(pd.notna(found), found, village)
        chosen = np.where(pd.notna(chosen), chosen, index.township)
        if floor:
            inside = np.char.startswith(chosen.astype(str), floor)
            placement.outside[rows] = (~inside & pd.notna(found)) | pd.notna(placement.foreign[rows])
            chosen = np.where(inside, chosen, floor)
        placement.places[rows] = chosen

    def _resolve(self, index: PlaceIndex, key: str) -> tuple[str | None, tuple[str, str] | None]:
        """(a code in this township, None), or (None, the other township (code, name) whose grid the text names)."""
        text, _, village = key.partition(SEPARATOR)
        found = index.resolve(text, village or None)
        return (found, None) if found else (None, self._foreign(index, text))

    def _foreign(self, index: PlaceIndex, text: str) -> tuple[str, str] | None:
        """The other township (code, name) whose grid `text` names by its code or its full name, if any."""
        form = canonical(text)
        if form.isdigit():
            if len(form) != GRID_LENGTH or form.startswith(index.township):
                return None
            grid = Region.objects.filter(code=form, level=RegionLevel.GRID).first()
            township = Region.objects.filter(code=form[:TOWNSHIP_LENGTH]).first() if grid else None
            return (township.code, township.name) if township else None
        for code, name, rest in self._other_townships(index, form):
            if len(self.index(code).resolve(rest) or "") == GRID_LENGTH:
                return code, name
        return None

    def division_names(self) -> dict[str, str]:
        """Every county and township code → its name (read once, in one query)."""
        if self._divisions is None:
            levels = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
            self._divisions = dict(Region.objects.filter(level__in=levels).values_list("code", "name"))
        return self._divisions

    def leading_divisions(self, texts: Sequence[str]) -> np.ndarray:
        """Per text (a code such as a 不动产单元代码), the region (code, name) its leading digits are the code of:
        the township its first 9 characters name, else the county its first 6 name; None when neither is a known
        code (an unknown prefix names nothing, and nothing is guessed from it)."""
        names = self.division_names()
        text = pd.Series(list(texts), dtype=object).astype(str)
        found = np.full(len(text), None, dtype=object)
        for length in (COUNTY_LENGTH, TOWNSHIP_LENGTH):  # a known township wins over its county
            prefix = text.str[:length]
            known = np.flatnonzero(prefix.isin([c for c in names if len(c) == length]).to_numpy())
            for position, code in zip(known, prefix.to_numpy(dtype=object)[known], strict=True):
                found[position] = (code, names[code])
        return found

    def township_named(self, township: str, text: str) -> tuple[str, str] | None:
        """The other township (code, name) an address written in `township` starts with (after the province, the
        city and a county name), if any: "芝罘区向阳街道…" written for 东山街道 names 向阳街道."""
        found = self._other_townships(self.index(township), canonical(text))
        return (found[0][0], found[0][1]) if found else None

    def _other_townships(self, index: PlaceIndex, form: str) -> list[tuple[str, str, str]]:
        """(code, name, the text after its name) of the other townships whose name the written form starts with,
        after the province, the city and a county name."""
        if self._names is None:
            counties = {
                canonical(name): code
                for code, name in Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name")
            }
            townships: dict[str, list[tuple[str, str]]] = {}
            for code, name in Region.objects.filter(level=RegionLevel.TOWNSHIP).values_list("code", "name"):
                townships.setdefault(canonical(name), []).append((code, name))
            self._names = counties, townships
        counties, townships = self._names
        rest = strip_prefixes(form, index.prefixes[: len(PROVINCE_NAMES) + 1])
        county = next(((name, code) for name, code in counties.items() if rest.startswith(name)), None)
        if county is not None:
            rest = rest[len(county[0]) :]
        return [
            (code, label, rest[len(name) :])
            for name, candidates in townships.items()
            if name and rest.startswith(name) and len(rest) > len(name)
            for code, label in candidates
            if code != index.township and (county is None or code.startswith(county[1]))
        ]


def _villages_named(index: PlaceIndex, addresses: list[np.ndarray], n: int) -> np.ndarray:
    """Per row, the village whose name the first address column naming one names (None when none does)."""
    found = np.full(n, None, dtype=object)
    pattern = index.address_pattern()
    if pattern is None:
        return found
    for column in addresses:
        todo = np.flatnonzero(pd.isna(found) & pd.notna(column))
        if not len(todo):
            break
        text = pd.Series(column[todo], dtype=object).astype(str)
        text = text.str.normalize("NFKC").str.replace(r"\s+", "", regex=True).str.lower()
        names = text.str.extract(pattern, expand=False)
        hit = names.notna().to_numpy()
        found[todo[hit]] = names[hit].map(index.villages).to_numpy(dtype=object)
    return np.where(pd.isna(found) | (found == AMBIGUOUS), None, found)


# Apps above regions re-place their rows when the tree changes (new villages or grids, a renamed one): they
# register here (basedb: the records of the townships concerned); regions never imports them.
_tree_subscribers: list[Callable[[list[str]], None]] = []


def subscribe_to_tree_changes(callback: Callable[[list[str]], None]) -> None:
    """Call `callback(township codes)` after the villages or grids of these townships changed. Idempotent."""
    if callback not in _tree_subscribers:
        _tree_subscribers.append(callback)


def tree_changed(codes: Iterable[str]) -> None:
    """Tell the subscribers which townships' subtrees changed (a code above township level: all of its townships)."""
    codes = sorted({c for c in codes if c})
    if not codes:
        return
    townships = set()
    for code in codes:
        if len(code) >= TOWNSHIP_LENGTH:
            townships.add(code[:TOWNSHIP_LENGTH])
        else:
            townships.update(Region.objects.subtree(code).townships().values_list("code", flat=True))
    for callback in list(_tree_subscribers):
        callback(sorted(townships))
