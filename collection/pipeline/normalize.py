"""Normalising and checking one column of raw cell text by its item's type, column-wise.

A column is factorised first (pandas hashing in C), so each distinct value is normalised once; the hot types
(ID numbers, credit codes, phones, free text) are then handled with whole-array operations: NFKC and whitespace
cleanup run once over the joined column text here, and each type's checker (type_checks.py) runs check digits and
formats in numpy. Only values that are not already in canonical form take a per-value Python path.

Every change is recorded as a correction kind; a value that cannot be normalised stays as written in the file and
gets an error (rule code and Chinese message).
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from catalog import spec as S
from catalog.spec import ItemSpec
from collection.pipeline.type_checks import CHECKERS, SEP, check_text

# Correction kinds of cleanup (shown in reports; stable); each type's own kinds are in type_checks.py.
FULLWIDTH, WHITESPACE = "fullwidth", "whitespace"

_SEP = SEP  # a cell holding the separator falls back to per-value cleanup
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\x1f]+")
_ASCII_SPACES = (" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_SPACE_AT_SEP = re.compile(r" ?\x1f ?")
_SPACE_OR_INVISIBLE = re.compile(r"[^\S\x1f]|[\u200b-\u200d\u2060\ufeff]")  # anything _strip_spaces changes

# Types checked column-wise whose values are mostly distinct (free text repeats often: it is factorised).
_ROW_WISE_TYPES = {S.ID_CARD, S.USCC, S.PHONE}
# Types whose cells never hold meaningful spaces: all whitespace is removed rather than collapsed.
_COMPACT_TYPES = {S.ID_CARD, S.USCC, S.PHONE, S.REGION, S.INTEGER, S.DECIMAL, S.BOOLEAN}


@dataclass
class Column:
    """The per-distinct-value outcome of normalising one column; `values` keeps the file's text where invalid."""

    values: np.ndarray  # object: normalised value (str/bool) or, where invalid, the raw text
    rules: np.ndarray  # object: None or the rule code of the error
    messages: np.ndarray  # object: None or the Chinese message
    kinds: list = field(default_factory=list)  # per value: tuple of correction kinds
    empty: np.ndarray | None = None  # bool: nothing written (after cleanup)


@dataclass
class ColumnResult:
    """One column, row by row."""

    values: np.ndarray  # object per row
    ok: np.ndarray  # bool per row: written and valid
    empty: np.ndarray  # bool per row
    rules: np.ndarray  # object per row: None or rule
    messages: np.ndarray  # object per row
    kinds: np.ndarray  # object per row: tuple of correction kinds (empty tuple when none)
    changed: np.ndarray  # bool per row: at least one correction


def normalize_column(
    raw: np.ndarray, item: ItemSpec, today: datetime.date, factorised: tuple[np.ndarray, np.ndarray] | None = None
) -> ColumnResult:
    """Normalise and check one column of raw cell text (str or None per row) by the item's type and rules.

    `factorised`: the column's (codes, distinct texts) when already known (code -1: empty), so it is not hashed
    again."""
    cells = np.asarray(raw, dtype=object)
    if _effective_type(item) in _ROW_WISE_TYPES:
        # Mostly distinct values checked by whole-array code: hashing them first would only cost time.
        present = ~pd.isna(cells)
        codes = np.full(len(cells), -1, dtype=np.int64)
        codes[present] = np.arange(int(present.sum()))
        uniques = cells[present]
    elif factorised is not None:
        codes, uniques = factorised
    else:
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    texts = uniques.tolist() if isinstance(uniques, np.ndarray) else list(uniques)
    if set(map(type, texts)) - {str}:
        texts = [str(u) for u in texts]
    column = check_values(texts, item, today)
    # One extra slot for empty cells (code -1).
    codes = np.where(codes < 0, len(texts), codes)
    values = np.append(column.values, None)
    empty = np.append(column.empty, True)
    rules = np.append(column.rules, None)
    msgs = np.append(column.messages, None)
    kinds = np.fromiter([*column.kinds, ()], dtype=object, count=len(texts) + 1)  # tuples kept whole
    changed = np.fromiter(map(bool, kinds), dtype=bool, count=len(kinds))
    row_empty = empty[codes]
    if np.equal(rules, None).all():  # the usual case: no error in the column, skip two object-array takes
        row_rules, row_msgs = np.full(len(codes), None, dtype=object), np.full(len(codes), None, dtype=object)
    else:
        row_rules, row_msgs = rules[codes], msgs[codes]
    return ColumnResult(
        values=values[codes],
        ok=~row_empty & np.equal(row_rules, None),
        empty=row_empty,
        rules=row_rules,
        messages=row_msgs,
        kinds=kinds[codes],
        changed=changed[codes],
    )


def check_values(texts: list[str], item: ItemSpec, today: datetime.date) -> Column:
    """Normalise and check distinct raw texts; the heart of normalize_column, usable on its own for a cell fix."""
    raw = np.array(texts, dtype=object)
    cleaned, fullwidth, spaces = _clean_column(raw, compact=_effective_type(item) in _COMPACT_TYPES)
    empty = cleaned == ""
    checker = CHECKERS.get(_effective_type(item), check_text)
    values, rules, msgs, kind = checker(cleaned, item, today)
    invalid = ~np.equal(rules, None)
    kind = np.array(kind, dtype=object)
    changed = (fullwidth | spaces | ~np.equal(kind, None)) & ~invalid & ~empty
    kinds = [()] * len(texts)
    for i in np.flatnonzero(changed):
        kinds[i] = (
            ((FULLWIDTH,) if fullwidth[i] else ())
            + ((WHITESPACE,) if spaces[i] else ())
            + ((kind[i],) if kind[i] else ())
        )
    values = np.where(invalid, raw, values)
    values[empty] = None
    rules[empty] = None
    msgs[empty] = None
    return Column(values=values, rules=rules, messages=msgs, kinds=kinds, empty=empty)


def _effective_type(item: ItemSpec) -> str:
    if item.type == S.REFERENCE:
        return getattr(item, "key_type", None) or S.TEXT
    return item.type


def clean_texts(texts: list[str], *, compact: bool) -> tuple[list[str], list[str]]:
    """NFKC (full-width -> half-width, ideographic space -> space), then trim and collapse whitespace (or remove it
    all when `compact`). Runs once over the joined column; returns (after NFKC, after whitespace)."""
    if not texts:
        return [], []
    big = _SEP.join(texts)
    if big.count(_SEP) != len(texts) - 1:
        nfkc = [unicodedata.normalize("NFKC", text) for text in texts]
        return nfkc, [_clean_one(text, compact) for text in nfkc]
    nfkc = big if big.isascii() else unicodedata.normalize("NFKC", big)  # ASCII is already NFKC
    return nfkc.split(_SEP), _strip_spaces(nfkc, compact).split(_SEP)


def _clean_column(raw: np.ndarray, *, compact: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cleaned values, changed by NFKC, changed by whitespace) of distinct texts; when the joined column does not
    change at all (the usual case for IDs, phones and codes) no per-value comparison is made."""
    unchanged = np.zeros(len(raw), dtype=bool)
    big = _SEP.join(raw)
    if not len(raw) or big.count(_SEP) != len(raw) - 1:
        nfkc, cleaned = clean_texts(list(raw), compact=compact)
        nfkc_arr, cleaned_arr = np.array(nfkc, dtype=object), np.array(cleaned, dtype=object)
        return cleaned_arr, nfkc_arr != raw, nfkc_arr != cleaned_arr
    nfkc = big if big.isascii() else unicodedata.normalize("NFKC", big)
    nfkc_arr = raw if nfkc == big else np.array(nfkc.split(_SEP), dtype=object)
    spaced = _strip_spaces(nfkc, compact)
    cleaned_arr = nfkc_arr if spaced == nfkc else np.array(spaced.split(_SEP), dtype=object)
    fullwidth = unchanged if nfkc_arr is raw else nfkc_arr != raw
    spaces = unchanged if cleaned_arr is nfkc_arr else cleaned_arr != nfkc_arr
    return cleaned_arr, fullwidth, spaces


def _strip_spaces(big: str, compact: bool) -> str:
    if big.isascii():
        if not any(space in big for space in _ASCII_SPACES):
            return big
    else:
        if _SPACE_OR_INVISIBLE.search(big) is None:  # names and addresses usually: one scan instead of three
            return big
        big = _INVISIBLE.sub("", big)
    return _SPACES.sub("", big) if compact else _SPACE_AT_SEP.sub(_SEP, _SPACES.sub(" ", big)).strip(" ")


def _clean_one(nfkc: str, compact: bool) -> str:
    text = _INVISIBLE.sub("", nfkc)
    return re.sub(r"\s+", "", text) if compact else re.sub(r"\s+", " ", text).strip()
