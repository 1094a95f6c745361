"""Verifying one chunk of raw rows against a subcategory's TableSpec: normalise, check, cross-check, find duplicates.

Entry point: `verify_chunk`. Every cell of every row is checked (never only the first error of a row); the work is
done column by column (see normalize.py), and only the findings become Python objects.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from catalog.spec import CrossRuleSpec, TableSpec
from collection.pipeline import idnumbers
from collection.pipeline import messages as M
from collection.pipeline.dedup import InFileKeys
from collection.pipeline.normalize import ColumnResult, normalize_column
from collection.pipeline.types import (
    CROSS_FIELD,
    DUPLICATE_IN_FILE,
    ERROR,
    REQUIRED,
    Correction,
    Issue,
    VerifiedChunk,
)

__all__ = ["InFileKeys", "verify_chunk"]

KEY_SEPARATOR = "|"
SEX_LABELS = {"1": "男", "2": "女"}


@dataclass
class _Finding:
    """Errors of one item on some rows of the chunk (positions are 0-based row positions in the chunk)."""

    item: str
    rule: str
    positions: np.ndarray
    messages: list[str]


def verify_chunk(
    raw: pd.DataFrame,
    spec: TableSpec,
    headers: dict[str, str],
    *,
    keys: InFileKeys,
    today: datetime.date,
    column_indexes: dict[str, int] | None = None,
    max_corrections_kept: int = 200,
) -> VerifiedChunk:
    """Normalise and verify one chunk of raw rows (str/None cells, or a categorical of them from the forked reader;
    '_row' = Excel row) of one sheet."""
    rows = raw["_row"].to_numpy(dtype=np.int64)
    factorised = {item.key: _factorised(raw[item.key]) for item in spec.items if item.key in raw}
    raw_columns = {key: _cells(raw[key], codes_uniques) for key, codes_uniques in factorised.items()}
    columns = {
        key: normalize_column(values, spec.item(key), today, factorised=factorised[key])
        for key, values in raw_columns.items()
    }
    findings = _cell_findings(spec, columns)
    findings += _cross_findings(spec, columns)
    row_keys = _dedup_keys(spec, columns, len(rows))
    findings += _duplicate_findings(spec, row_keys, rows, keys)

    headers = {**{item.key: item.name for item in spec.items}, **headers}  # a missing header: the item's name
    invalid = np.zeros(len(rows), dtype=bool)
    for finding in findings:
        invalid[finding.positions] = True
    # dtype=object keeps None as None (pandas 3 would otherwise infer its str dtype and turn None into NaN).
    data = {key: pd.Series(column.values, index=raw.index, dtype=object) for key, column in columns.items()}
    data["_row"] = pd.Series(rows, index=raw.index)
    data["_valid"] = pd.Series(~invalid, index=raw.index)
    data["_key"] = pd.Series(row_keys, index=raw.index, dtype=object)
    frame = pd.DataFrame(data)
    issues = _issues(findings, rows, raw_columns, headers, column_indexes or {})
    corrections, counts = _corrections(spec, columns, raw_columns, rows, headers, max_corrections_kept)
    return VerifiedChunk(frame=frame, issues=issues, corrections=corrections, correction_counts=counts)


def _factorised(column: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, distinct texts) of a categorical raw column (the forked reader sends few-valued columns that way;
    code -1 is an empty cell), else None."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return None
    return column.cat.codes.to_numpy(), column.cat.categories.to_numpy(dtype=object)


def _cells(column: pd.Series, factorised: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The column's cells as an object array with None for empty cells (an object column is taken as it is)."""
    if factorised is not None:
        codes, uniques = factorised
        return np.append(uniques, None).take(codes)  # code -1 takes the None at the end
    if column.dtype == object:
        return column.to_numpy()
    return column.to_numpy(dtype=object, na_value=None)


def _cell_findings(spec: TableSpec, columns: dict[str, ColumnResult]) -> list[_Finding]:
    findings = []
    for key, column in columns.items():
        item = spec.item(key)
        if item.required:
            missing = np.flatnonzero(column.empty)
            if len(missing):
                findings.append(_Finding(key, REQUIRED, missing, [M.required(item.name)] * len(missing)))
        failed = np.flatnonzero(~np.equal(column.rules, None))
        for rule in dict.fromkeys(column.rules[failed]):
            positions = failed[column.rules[failed] == rule]
            findings.append(_Finding(key, rule, positions, list(column.messages[positions])))
    return findings


def _cross_findings(spec: TableSpec, columns: dict[str, ColumnResult]) -> list[_Finding]:
    findings = []
    for rule in spec.cross_rules:
        check = _CROSS_CHECKS.get(rule.rule)
        fields = rule.fields.values()
        if check is None or not all(name in columns for name in fields):
            continue
        finding = check(spec, rule, columns)
        if finding is not None and len(finding.positions):
            findings.append(finding)
    return findings


def _id_birth_date(spec: TableSpec, rule: CrossRuleSpec, columns: dict[str, ColumnResult]) -> _Finding:
    id_key, date_key = rule.fields["id"], rule.fields["date"]
    ids, dates = columns[id_key], columns[date_key]
    both = np.flatnonzero(ids.ok & dates.ok)
    bad = both[idnumbers.id_birth_numbers(ids.values[both]) != idnumbers.iso_date_numbers(dates.values[both])]
    id_dates = idnumbers.id_birth_dates(ids.values[bad])
    id_name, date_name = spec.item(id_key).name, spec.item(date_key).name
    messages = [M.id_birth_date(date_name, dates.values[p], id_name, d) for p, d in zip(bad, id_dates, strict=True)]
    return _Finding(date_key, CROSS_FIELD, bad, messages)


def _id_sex(spec: TableSpec, rule: CrossRuleSpec, columns: dict[str, ColumnResult]) -> _Finding:
    id_key, sex_key = rule.fields["id"], rule.fields["sex"]
    ids, sexes = columns[id_key], columns[sex_key]
    both = np.flatnonzero(ids.ok & sexes.ok & np.isin(sexes.values, list(SEX_LABELS)))
    implied = idnumbers.id_sex_codes(ids.values[both])
    mismatch = implied != sexes.values[both].astype(str)
    bad, implied = both[mismatch], implied[mismatch]
    sex_item, id_name = spec.item(sex_key), spec.item(id_key).name
    labels = sex_item.code_table.labels if sex_item.code_table else SEX_LABELS
    messages = [
        M.id_sex(sex_item.name, labels.get(sexes.values[p], sexes.values[p]), id_name, SEX_LABELS[code])
        for p, code in zip(bad, implied, strict=True)
    ]
    return _Finding(sex_key, CROSS_FIELD, bad, messages)


def _date_not_before(spec: TableSpec, rule: CrossRuleSpec, columns: dict[str, ColumnResult]) -> _Finding:
    field_key, other_key = rule.fields["field"], rule.fields["other"]
    field, other = columns[field_key], columns[other_key]
    both = np.flatnonzero(field.ok & other.ok)
    bad = both[field.values[both].astype(str) < other.values[both].astype(str)]
    name, other_name = spec.item(field_key).name, spec.item(other_key).name
    messages = [M.date_not_before(name, field.values[p], other_name, other.values[p]) for p in bad]
    return _Finding(field_key, CROSS_FIELD, bad, messages)


_CROSS_CHECKS = {"id_birth_date": _id_birth_date, "id_sex": _id_sex, "date_not_before": _date_not_before}


def _dedup_keys(spec: TableSpec, columns: dict[str, ColumnResult], n: int) -> np.ndarray:
    """Per row: the key item values joined by '|', or None when a key item is missing, empty or invalid."""
    keys = np.full(n, None, dtype=object)
    if not spec.key_items or not all(key in columns for key in spec.key_items):
        return keys
    parts = [columns[key] for key in spec.key_items]
    usable = np.logical_and.reduce([part.ok for part in parts])
    if len(parts) == 1:
        keys[usable] = parts[0].values[usable]
    else:
        texts = [part.values[usable].astype(str) for part in parts]
        keys[usable] = [KEY_SEPARATOR.join(values) for values in zip(*texts, strict=True)]
    return keys


def _duplicate_findings(spec: TableSpec, row_keys: np.ndarray, rows: np.ndarray, keys: InFileKeys) -> list:
    earlier = keys.register(row_keys, rows)
    positions = np.flatnonzero(earlier)
    if not len(positions):
        return []
    key_names = "、".join(spec.item(key).name for key in spec.key_items)
    messages = [M.duplicate_in_file(int(earlier[p]), key_names) for p in positions]
    return [_Finding(spec.key_items[0], DUPLICATE_IN_FILE, positions, messages)]


def _issues(findings, rows, raw_columns, headers, column_indexes) -> list[Issue]:
    issues = []
    for finding in findings:
        raw = raw_columns[finding.item]
        column, index = headers.get(finding.item, finding.item), column_indexes.get(finding.item)
        for position, message in zip(finding.positions, finding.messages, strict=True):
            value = raw[position]
            issues.append(
                Issue(
                    row=int(rows[position]),
                    column=column,
                    item=finding.item,
                    rule=finding.rule,
                    severity=ERROR,
                    message=message,
                    value=value if isinstance(value, str) else "" if pd.isna(value) else str(value),
                    column_index=index,
                )
            )
    order = {key: i for i, key in enumerate(raw_columns)}
    issues.sort(key=lambda issue: (issue.row, order.get(issue.item, 0)))
    return issues


def _corrections(spec, columns, raw_columns, rows, headers, cap: int) -> tuple[list[Correction], Counter]:
    """Counts of every correction by (item, kind), and the first `cap` of them (by row) to show; a code is shown
    by its label (本科 -> 大学本科), which is what the person reads."""
    counts: Counter = Counter()
    sample: list[Correction] = []
    for key, column in columns.items():
        table = spec.item(key).code_table
        changed = np.flatnonzero(column.changed)
        if not len(changed):
            continue
        for kinds, n in pd.Series(column.kinds[changed]).value_counts().items():
            for kind in kinds:
                counts[(key, kind)] += int(n)
        for position in changed[:cap]:
            old, new = raw_columns[key][position], column.values[position]
            new = ("是" if new else "否") if isinstance(new, bool) else str(new)
            if table is not None:
                new = table.labels.get(new, new)
            for kind in column.kinds[position]:
                sample.append(Correction(int(rows[position]), headers.get(key, key), key, kind, old, new))
    sample.sort(key=lambda correction: correction.row)
    return sample[:cap], counts
