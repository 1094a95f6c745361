# ruff: noqa: S608  -- SQL strings interpolate only model table names and constants; values are parameters.
"""入库预览: what approving a batch would change in the base database, shown to the officer before confirming.

Computed set-wise from the batch's staged rows against the records, deciding each row as the merge does
(outcomes.classify; the first row of a key wins, rows without a key or with errors never merge), and nothing is
written. One statement joins the batch's mergeable rows to the records their keys already have; rows whose values
equal their record's are settled in the database (the merge's fast path) and come back without values. Only the
other matched rows are compared item by item in Python; new rows are only counted.
"""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection

from catalog.specs_build import build_table_spec
from collection.choices import MergeState
from collection.models import Batch, StagedRow
from regions.models import Region
from regions.placement import TOWNSHIP_LENGTH

from .choices import RecordStatus
from .labels import Change, Presenter, shown_key
from .outcomes import CONFLICT, RESTORE, T_ENTITY, T_RECORD, UPDATE, as_json, classify, subcategory_kind

UPDATES_PER_PAGE = 20
CONFLICTS_SHOWN = 100  # the people listed; the count says how many there are in all
T_STAGED = StagedRow._meta.db_table
# The rows a merge takes (merge_sql.CHUNK_ROWS without the chunk's range): valid, not merged yet, with a key.
MERGEABLE = "sr.batch_id = %s AND sr.is_valid AND sr.merge_state = %s AND sr.key IS NOT NULL AND sr.key <> ''"


@dataclass
class UpdatedRow:
    """A row that would update a record: whose record and each changed item, before → after (displayed, masked)."""

    row: int
    name: str
    key: str
    record_id: int
    changes: list[Change]


@dataclass
class ConflictingRow:
    """A row whose person (entity) another township already holds in this subcategory: the merge would not write it
    but raise a cross-township conflict for a data officer covering both townships."""

    row: int
    name: str
    key: str
    township: str  # the holding township's name and code


@dataclass
class ApprovalPreview:
    """Counts of what approving would do, a page of the updates and the conflicting people; invalid and excluded
    rows stay in the batch."""

    created: int = 0  # new records, restored ones included
    restored: int = 0  # of which: retired records reported again
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    repeated: int = 0  # valid rows repeating a key of an earlier row of the batch: not merged
    invalid: int = 0
    excluded: int = 0
    updates: Page | None = None
    conflicting: list[ConflictingRow] = field(default_factory=list)

    @property
    def merged(self) -> int:
        return self.created + self.updated + self.unchanged

    def invalid_sentence(self) -> str:
        """What happens to the rows that will not be merged, in one sentence ("" when every row merges)."""
        parts = []
        if self.invalid:
            parts.append(f"{self.invalid} 行未通过核验，不会入库，仍留在批次中待修正")
        if self.excluded:
            parts.append(f"{self.excluded} 行已被采集员排除，不会入库")
        if self.repeated:
            parts.append(f"{self.repeated} 行与本批次前面的行主体标识重复，只入库第一行")
        return "；".join(parts) + ("。" if parts else "")


def _row_counts(batch: Batch) -> tuple[int, int, int, int]:
    """(mergeable rows, distinct keys among them, invalid rows, excluded rows) of the batch."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT sr.key) FROM {T_STAGED} AS sr WHERE {MERGEABLE}",
            [batch.pk, MergeState.PENDING],
        )
        mergeable, keys = cursor.fetchone()
        cursor.execute(
            f"SELECT SUM(CASE WHEN excluded_at IS NULL THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN excluded_at IS NULL THEN 0 ELSE 1 END) FROM {T_STAGED} "
            "WHERE batch_id = %s AND NOT is_valid AND merge_state = %s",
            [batch.pk, MergeState.PENDING],
        )
        invalid, excluded = cursor.fetchone()
    return mergeable, keys, invalid or 0, excluded or 0


def _matched_rows(batch: Batch, kind: str):
    """The batch's mergeable rows whose key has a record in the subcategory, in row order, as (row, key, township,
    record id, record's township, status, decided, incoming values, record's values). The database decides two
    cases itself: "same" (same township, active, equal values: the merge's fast path; no values come back) and
    "elsewhere" (an active record of another township: a conflict whatever the values; only the incoming values,
    for the person's name). The other rows come with both values, to be compared item by item."""
    routed = len(batch.region_id) < TOWNSHIP_LENGTH
    township = f"SUBSTR(sr.place, 1, {TOWNSHIP_LENGTH})" if routed else "%s"
    at = [] if routed else [batch.region_id]
    same = f'r.region_id = {township} AND r.status = %s AND r."values" = sr."values"'
    elsewhere = f"r.region_id <> {township} AND r.status = %s"
    decided = f"CASE WHEN {same} THEN 'same' WHEN {elsewhere} THEN 'elsewhere' END"
    sql = (
        f"SELECT s.row, s.key, s.township, s.record_id, s.region_id, s.status, s.decided, "
        "CASE WHEN s.decided = 'same' THEN NULL ELSE s.incoming END, "
        "CASE WHEN s.decided IS NULL THEN s.stored END "
        f"FROM (SELECT sr.id, sr.row, sr.key, {township} AS township, r.id AS record_id, r.region_id, r.status, "
        f'{decided} AS decided, sr."values" AS incoming, r."values" AS stored '
        f"FROM {T_STAGED} AS sr JOIN {T_ENTITY} AS e ON e.kind = %s AND e.key = sr.key "
        f"JOIN {T_RECORD} AS r ON r.entity_id = e.id AND r.subcategory_id = %s WHERE {MERGEABLE}) AS s ORDER BY s.id"
    )
    active = [*at, RecordStatus.ACTIVE]
    params = [*at, *active, *active, kind, batch.subcategory_id, batch.pk, MergeState.PENDING]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(2000):
            yield from chunk


def _name(values: dict, name_keys: tuple[str, ...], code: str, presenter: Presenter) -> str:
    """The row's name as a page shows it (masked like the item it comes from)."""
    key = next((k for k in name_keys if values.get(k)), None)
    return str(presenter.value(code, key, values[key])) if key else ""


def approval_preview(batch: Batch, *, page: int | str | None = 1, per_page: int = UPDATES_PER_PAGE) -> ApprovalPreview:
    """What approving `batch` would write (the caller checked the officer may review it): counts, the `page`-th
    page of updates with their changed items before → after, the conflicting people with the holding township."""
    code, kind = batch.subcategory.code, subcategory_kind(batch.subcategory)
    presenter, name_keys = Presenter(), build_table_spec(code).display_name_keys
    mergeable, keys, invalid, excluded = _row_counts(batch)
    result = ApprovalPreview(repeated=mergeable - keys, invalid=invalid, excluded=excluded)
    updates, conflicting, seen = [], [], set()
    for row, key, township, record_id, region, status, decided, incoming, stored in _matched_rows(batch, kind):
        if key in seen:
            continue
        seen.add(key)
        if decided == "same":
            result.unchanged += 1
            continue
        if decided == "elsewhere":
            result.conflicts += 1
            if len(conflicting) < CONFLICTS_SHOWN:
                conflicting.append((row, key, region, as_json(incoming)))
            continue
        incoming = as_json(incoming)
        op, changes = classify((region, status, as_json(stored)), incoming, township)
        _count(result, op)
        if op == UPDATE:
            updates.append((row, key, record_id, incoming, changes))
        elif op == CONFLICT:
            conflicting.append((row, key, region, incoming))
    result.created += keys - len(seen)
    result.updates = Paginator(updates, per_page).get_page(page)
    result.updates.object_list = [
        UpdatedRow(row, _name(values, name_keys, code, presenter), shown_key(kind, key), record_id,
                   presenter.changes(code, changes))
        for row, key, record_id, values, changes in result.updates.object_list
    ]  # fmt: skip
    names = dict(Region.objects.filter(code__in={c[2] for c in conflicting}).values_list("code", "name"))
    result.conflicting = [
        ConflictingRow(row, _name(values, name_keys, code, presenter), shown_key(kind, key),
                       f"{names.get(region, region)}（{region}）")
        for row, key, region, values in conflicting
    ]  # fmt: skip
    return result


def _count(result: ApprovalPreview, op: str) -> None:
    if op == RESTORE:
        result.created += 1
        result.restored += 1
    elif op == UPDATE:
        result.updated += 1
    elif op == CONFLICT:
        result.conflicts += 1
    else:
        result.unchanged += 1
