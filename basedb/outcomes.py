# ruff: noqa: S608  -- SQL strings interpolate only model table names and constants; values are parameters.
"""What merging a row does: create, update, unchanged, conflict or restore.

`classify` decides it row by row for the merge (basedb/merge.py); the preview counts the same outcomes for a
batch, a list of rows or a verified frame without writing anything (the officers' and the CLI's dry runs).
"""

import json
from dataclasses import asdict, dataclass

from django.db import connection

from catalog.models import Subcategory
from catalog.spec import TableSpec
from collection.choices import MergeState
from collection.models import Batch, StagedRow
from regions.placement import TOWNSHIP_LENGTH

from .choices import RecordStatus
from .models import Entity, Record

PREVIEW_KEYS_PER_QUERY = 5_000
T_ENTITY, T_RECORD = Entity._meta.db_table, Record._meta.db_table

CREATE, UPDATE, UNCHANGED, CONFLICT, RESTORE = "create", "update", "unchanged", "conflict", "restore"


@dataclass
class MergeResult:
    """What a merge did (or, from a preview, would do) with the rows of a batch."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0

    def add(self, op: str) -> None:
        field = {CREATE: "created", RESTORE: "created", UPDATE: "updated", UNCHANGED: "unchanged"}.get(op, "conflicts")
        setattr(self, field, getattr(self, field) + 1)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------------------------
# Deciding what happens to one row (shared by the merge and the preview)


def _blank(value) -> bool:
    return value is None or value == ""


def diff_values(old: dict, new: dict) -> dict[str, list]:
    """The items whose value differs, as {item: [old, new]}; None and "" are the same empty value.

    Items absent from `new` (a column the file did not have) are not changes: they keep their stored value.
    """
    changes = {}
    for item, value in new.items():
        before = old.get(item)
        if _blank(value) and _blank(before):
            continue
        if value != before:
            changes[item] = [before, value]
    return changes


def classify(existing: tuple | None, incoming: dict, region_code: str) -> tuple[str, dict]:
    """(op, changes) for an incoming row given the existing record as (region code, status, values) or None.

    An active record of another township makes a conflict; a retired record is restored (by whichever township
    reports it again); otherwise only changed items make an update.
    """
    if existing is None:
        return CREATE, {}
    region, status, values = existing
    if status == RecordStatus.RETIRED:
        return RESTORE, diff_values(values, incoming)
    if region != region_code:
        return CONFLICT, {}
    changes = diff_values(values, incoming)
    return (UPDATE if changes else UNCHANGED), changes


def as_json(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)


# ---------------------------------------------------------------------------------------------------------------
# Preview (dry run): the same decisions, no writes


def _subcategory(subcategory) -> Subcategory:
    if isinstance(subcategory, Subcategory):
        return subcategory
    code = subcategory.code if isinstance(subcategory, TableSpec) else str(subcategory)
    return Subcategory.objects.select_related("category__domain").get(code=code)


def subcategory_kind(subcategory: Subcategory) -> str:
    return subcategory.category.domain.kind


def _keyed_rows(rows) -> dict[str, dict]:
    """{key: values} of an iterable of (row, values, key) or (key, values), in row order; the first row of a key
    wins and rows without a key are left out."""
    keyed: dict[str, dict] = {}
    for row in rows:
        key, values = (row[2], row[1]) if len(row) == 3 else (row[0], row[1])
        if key and key not in keyed:
            keyed[key] = values
    return keyed


def _existing_records(sub: Subcategory, keys: list[str]) -> dict[str, tuple]:
    """{key: (region code, status, values as stored)} of the subcategory's records among `keys`, a few thousand keys
    per plain SQL statement with the keys as one parameter (an array on PostgreSQL, a JSON list on SQLite): the
    ORM's `__in` resolves every parameter in Python, seconds per 100,000 keys."""
    found: dict[str, tuple] = {}
    pg = connection.vendor == "postgresql"
    among = "= ANY(%s)" if pg else "IN (SELECT value FROM json_each(%s))"
    sql = (
        f'SELECT e.key, r.region_id, r.status, r."values" FROM {T_RECORD} AS r JOIN {T_ENTITY} AS e '
        f"ON e.id = r.entity_id WHERE r.subcategory_id = %s AND e.kind = %s AND e.key {among}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(keys), PREVIEW_KEYS_PER_QUERY):
            part = keys[start : start + PREVIEW_KEYS_PER_QUERY]
            cursor.execute(sql, [sub.pk, subcategory_kind(sub), part if pg else json.dumps(part, ensure_ascii=False)])
            found.update({key: (region, status, values) for key, region, status, values in cursor.fetchall()})
    return found


def _preview_frame(sub: Subcategory, region_code: str, frame) -> MergeResult:
    """preview_rows for a verified frame, column-wise: only the records that exist are read, and their values are
    compared with the incoming rows item by item over whole columns (the same rules as `classify`)."""
    import pandas as pd

    keys = frame["_key"].astype(object).where(frame["_key"].notna(), "").astype(str)
    frame = frame[(keys != "") & ~keys.duplicated()]
    keys = keys[frame.index]
    existing = _existing_records(sub, keys.tolist())
    result = MergeResult(created=len(frame) - len(existing))
    if not existing:
        return result
    matched = keys[keys.isin(existing.keys())]
    found = [existing[key] for key in matched]
    items = [c for c in frame.columns if not str(c).startswith("_")]
    new = frame.loc[matched.index, items].astype(object)
    new = new.where(new.notna(), None)
    stored = [f[2] for f in found]
    if all(isinstance(text, str) for text in stored):  # JSON text: one parse for the whole chunk
        stored = json.loads(f"[{','.join(stored)}]")
    old = pd.DataFrame.from_records([as_json(v) for v in stored], index=matched.index).reindex(columns=items)
    old = old.astype(object).where(old.notna(), None)
    blank_new, blank_old = new.isna() | new.eq(""), old.isna() | old.eq("")
    same = (blank_new & blank_old) | (~blank_new & old.eq(new))
    changed = ~same.all(axis=1).to_numpy()
    retired = pd.Series([f[1] for f in found]).eq(RecordStatus.RETIRED).to_numpy()
    # A department's roster (collection/routing.py) carries each row's township; a township's file is all its own.
    townships = frame.loc[matched.index, "_township"].to_numpy(dtype=object) if "_township" in frame else region_code
    elsewhere = pd.Series([f[0] for f in found]).ne(townships).to_numpy()
    result.created += int(retired.sum())
    result.conflicts = int((~retired & elsewhere).sum())
    result.updated = int((~retired & ~elsewhere & changed).sum())
    result.unchanged = int((~retired & ~elsewhere & ~changed).sum())
    return result


def preview_rows(subcategory, region_code: str, rows) -> MergeResult:
    """Would-be counts of merging `rows` (valid rows only) into `subcategory` for township `region_code`.

    subcategory: a code, a catalog Subcategory or a TableSpec. rows: a verified frame (with `_key`) or an iterable
    of (row, values, key) or (key, values). Nothing is written.
    """
    sub = _subcategory(subcategory)
    if hasattr(rows, "columns"):
        return _preview_frame(sub, region_code, rows)
    keyed = _keyed_rows(rows)
    existing = _existing_records(sub, list(keyed))
    result = MergeResult(created=len(keyed) - len(existing))
    for key, (region, status, values) in existing.items():
        result.add(classify((region, status, as_json(values)), keyed[key], region_code)[0])
    return result


def preview_batch(batch: Batch) -> MergeResult:
    """Would-be counts of merging the batch's valid rows not merged yet (the officers' dry run)."""
    rows = StagedRow.objects.unrestricted("merge: the rows of the batch being merged").filter(
        batch=batch, is_valid=True, merge_state=MergeState.PENDING
    )
    if len(batch.region_id) < TOWNSHIP_LENGTH:
        return _preview_routed(batch, rows.order_by("id").values_list("key", "values", "place"))
    rows = rows.values_list("key", "values")
    return preview_rows(batch.subcategory, batch.region_id, rows.order_by("id").iterator(chunk_size=5000))


def _preview_routed(batch: Batch, rows) -> MergeResult:
    """preview_batch of a department's roster: each row classified against the township it was routed to."""
    keyed: dict[str, tuple] = {}
    for key, values, place in rows.iterator(chunk_size=5000):
        if key and key not in keyed:
            keyed[key] = (values, (place or "")[:TOWNSHIP_LENGTH])
    sub = _subcategory(batch.subcategory)
    existing = _existing_records(sub, list(keyed))
    result = MergeResult(created=len(keyed) - len(existing))
    for key, (region, status, values) in existing.items():
        incoming, township = keyed[key]
        result.add(classify((region, status, as_json(values)), as_json(incoming), township)[0])
    return result
