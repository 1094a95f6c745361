# ruff: noqa: S608  -- SQL strings interpolate only model table names and constants; values are parameters.
"""Merging the valid rows of a batch into the base database, set-wise and resumable.

The staged rows already live in the database (collection_stagedrow, bulk-inserted by intake), so a chunk of them is
copied into a temporary table with one INSERT ... SELECT, and every step after that is one SQL statement over the
whole chunk: INSERT ... ON CONFLICT DO NOTHING for entities and records (the unique constraints make concurrent
merges safe), UPDATE ... FROM for changed records, INSERT ... SELECT for their versions. Only rows whose key already
has a record come back to Python, to compute which items changed; those results go back through COPY (PostgreSQL)
or executemany (SQLite). The same statements run on both databases; the few dialect differences are in `_Sql`.

Each chunk is one transaction that also advances the batch's MergeRun checkpoint, so a killed worker leaves whole
chunks only, and re-running `merge_batch` resumes after the last committed chunk and finishes exactly once.
"""

import json
import time
from dataclasses import asdict, dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Subcategory
from catalog.spec import TableSpec
from collection.choices import BatchStatus, IssueRule, MergeState, Severity
from collection.models import Batch, BatchIssue, StagedRow
from regions.access import can
from regions.choices import Action

from .choices import MergeRunStatus, RecordStatus, VersionAction
from .history import lock_change_feed, notify_subscribers
from .models import DISPLAY_NAME_ITEMS, Conflict, Entity, MergeRun, Record, RecordVersion

CHUNK_SIZE = 25_000
# A batch is merged after verification (rows with errors stay behind); MERGING/MERGED: resume or report.
MERGEABLE_STATUSES = frozenset(
    {BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW, BatchStatus.MERGING, BatchStatus.MERGED}
)
PREVIEW_KEYS_PER_QUERY = 5_000
MERGE_WORK_MEM = "64MB"  # PostgreSQL work_mem of a merge chunk's transaction (the server default is 4MB)

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


class SimulatedCrash(RuntimeError):
    """Raised by the test-only hook of merge_batch to simulate a worker killed in the middle of a chunk."""


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


def _json(value) -> dict:
    return value if isinstance(value, dict) else json.loads(value)


# ---------------------------------------------------------------------------------------------------------------
# Preview (dry run): the same decisions, no writes


def _subcategory(subcategory) -> Subcategory:
    if isinstance(subcategory, Subcategory):
        return subcategory
    code = subcategory.code if isinstance(subcategory, TableSpec) else str(subcategory)
    return Subcategory.objects.select_related("category__domain").get(code=code)


def _kind(subcategory: Subcategory) -> str:
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
            cursor.execute(sql, [sub.pk, _kind(sub), part if pg else json.dumps(part, ensure_ascii=False)])
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
    old = pd.DataFrame.from_records([_json(v) for v in stored], index=matched.index).reindex(columns=items)
    old = old.astype(object).where(old.notna(), None)
    blank_new, blank_old = new.isna() | new.eq(""), old.isna() | old.eq("")
    same = (blank_new & blank_old) | (~blank_new & old.eq(new))
    changed = ~same.all(axis=1).to_numpy()
    retired = pd.Series([f[1] for f in found]).eq(RecordStatus.RETIRED).to_numpy()
    elsewhere = pd.Series([f[0] for f in found]).ne(region_code).to_numpy()
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
        result.add(classify((region, status, _json(values)), keyed[key], region_code)[0])
    return result


def preview_batch(batch: Batch) -> MergeResult:
    """Would-be counts of merging the batch's valid rows not merged yet (the officers' dry run)."""
    rows = StagedRow.objects.filter(batch=batch, is_valid=True, merge_state=MergeState.PENDING).values_list(
        "key", "values"
    )
    return preview_rows(batch.subcategory, batch.region_id, rows.order_by("id").iterator(chunk_size=5000))


# ---------------------------------------------------------------------------------------------------------------
# SQL dialect


class _Sql:
    """The few statements that differ between PostgreSQL and SQLite."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"
        self.json = "jsonb" if self.pg else "text"
        self.id = "bigint" if self.pg else "integer"

    def create_temp(self, cursor, name: str, columns: str) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        suffix = " ON COMMIT DROP" if self.pg else ""
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}){suffix}")

    def load(self, cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Bulk-load rows into a (temporary) table: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        if self.pg:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def lock_suffix(self) -> str:
        return " FOR UPDATE OF r" if self.pg else ""


T_ENTITY, T_RECORD, T_VERSION = Entity._meta.db_table, Record._meta.db_table, RecordVersion._meta.db_table
T_STAGED = StagedRow._meta.db_table


# ---------------------------------------------------------------------------------------------------------------
# Merge


@dataclass
class _Context:
    batch: Batch
    subcategory: Subcategory
    kind: str
    user_id: int | None
    sql: _Sql
    low: int = 0  # the chunk being merged: staged row ids low < id <= high
    high: int = 0

    def staged_range(self) -> list[int]:
        return [self.low, self.high]


def _display_name_sql(column: str) -> str:
    names = ", ".join(f"{column} ->> '{item}'" for item in DISPLAY_NAME_ITEMS)
    return f"SUBSTR(COALESCE({names}, ''), 1, 200)"


SR_VALUES = 'sr."values"'
# Staged rows are joined by id within the chunk's id range, so the planner walks the primary key over the chunk
# instead of hashing the whole (ever-growing) staged-row table.
STAGED_JOIN = f"JOIN {T_STAGED} AS sr ON sr.id = s.staged_row_id AND sr.id > %s AND sr.id <= %s"
IDENTICAL_SQL = 'CASE WHEN r.region_id = %s AND r.status = %s AND r."values" = sr."values" THEN %s END'
# The chunk's rows that may merge: valid, not merged yet, with a key.
CHUNK_ROWS = (
    "sr.batch_id = %s AND sr.id > %s AND sr.id <= %s AND sr.is_valid AND sr.merge_state = %s "
    "AND sr.key IS NOT NULL AND sr.key <> ''"
)


def _insert_entities(cursor, ctx: _Context, low: int, high: int, now) -> None:
    # Sorted inserts: two concurrent merges wait on each other instead of deadlocking.
    cursor.execute(
        f"INSERT INTO {T_ENTITY} (kind, key, region_id, display_name, created_at, updated_at) "
        f"SELECT %s, sr.key, %s, {_display_name_sql(SR_VALUES)}, %s, %s FROM {T_STAGED} AS sr "
        f"WHERE {CHUNK_ROWS} ORDER BY sr.key ON CONFLICT (kind, key) DO NOTHING",
        [ctx.kind, ctx.batch.region_id, now, now, ctx.batch.pk, low, high, MergeState.PENDING],
    )


def _stage_chunk(cursor, ctx: _Context, low: int, high: int) -> None:
    """merge_stage: one narrow row per mergeable staged row of the chunk (the first row of a key wins), with its
    entity and, when the subcategory already holds it, its record. Values stay in collection_stagedrow."""
    ctx.sql.create_temp(
        cursor,
        "merge_stage",
        f"staged_row_id {ctx.sql.id} PRIMARY KEY, row integer, key text NOT NULL UNIQUE, "
        f"entity_id {ctx.sql.id}, record_id {ctx.sql.id}, op varchar(10)",
    )
    # A re-import's fast path, decided in the same pass: values equal to the record's (same township, active) are
    # unchanged without leaving the database. Rows that differ only in form go through diff_values.
    cursor.execute(
        "INSERT INTO merge_stage (staged_row_id, row, key, entity_id, record_id, op) "
        f"SELECT sr.id, sr.row, sr.key, e.id, r.id, {IDENTICAL_SQL} FROM {T_STAGED} AS sr "
        f"JOIN {T_ENTITY} AS e ON e.kind = %s AND e.key = sr.key "
        f"LEFT JOIN {T_RECORD} AS r ON r.entity_id = e.id AND r.subcategory_id = %s "
        f"WHERE {CHUNK_ROWS} ORDER BY sr.id ON CONFLICT (key) DO NOTHING",
        [ctx.batch.region_id, RecordStatus.ACTIVE, UNCHANGED, ctx.kind, ctx.subcategory.pk, ctx.batch.pk, low, high,
         MergeState.PENDING],
    )  # fmt: skip
    if ctx.sql.pg:
        # Temporary tables get no statistics unless analysed; without them the joins below may scan every record.
        cursor.execute("ANALYZE merge_stage")


def _link_records(cursor, ctx: _Context) -> None:
    """Link rows to records inserted meanwhile by a concurrent merge (after losing an insert race)."""
    cursor.execute(
        f"UPDATE merge_stage SET record_id = r.id FROM {T_RECORD} AS r "
        "WHERE merge_stage.record_id IS NULL AND r.entity_id = merge_stage.entity_id AND r.subcategory_id = %s",
        [ctx.subcategory.pk],
    )


def _mark_identical(cursor, ctx: _Context) -> int:
    """The re-import fast path for rows linked to a record after losing an insert race (see _stage_chunk)."""
    cursor.execute(
        f"UPDATE merge_stage SET op = %s FROM {T_RECORD} AS r, {T_STAGED} AS sr "
        "WHERE merge_stage.op IS NULL AND r.id = merge_stage.record_id AND sr.id = merge_stage.staged_row_id "
        'AND sr.id > %s AND sr.id <= %s AND r.region_id = %s AND r.status = %s AND r."values" = sr."values"',
        [UNCHANGED, *ctx.staged_range(), ctx.batch.region_id, RecordStatus.ACTIVE],
    )
    return cursor.rowcount


def _fetch_existing(cursor, ctx: _Context, seen: set[int]) -> list[tuple]:
    """Rows whose key already has a record in the subcategory, with both values, locked on PostgreSQL."""
    cursor.execute(
        f'SELECT s.staged_row_id, s.row, s.key, s.entity_id, sr."values", r.id, r.region_id, r.status, r."values", '
        f"r.version FROM merge_stage AS s JOIN {T_RECORD} AS r ON r.id = s.record_id "
        f"{STAGED_JOIN} WHERE s.op IS NULL ORDER BY r.id{ctx.sql.lock_suffix()}",
        ctx.staged_range(),
    )
    return [row for row in cursor.fetchall() if row[0] not in seen]


def _insert_records(cursor, ctx: _Context, now) -> int:
    """Create the records of the rows that have none; returns how many rows are still without a record (they lost
    a race with a concurrent merge and are classified again)."""
    insert = (
        f'INSERT INTO {T_RECORD} (entity_id, subcategory_id, region_id, "values", status, version, last_batch_id, '
        f'created_at, updated_at) SELECT s.entity_id, %s, %s, sr."values", %s, 1, %s, %s, %s FROM merge_stage AS s '
        f"{STAGED_JOIN} WHERE s.record_id IS NULL ORDER BY s.entity_id "
        "ON CONFLICT (entity_id, subcategory_id) DO NOTHING"
    )
    params = [ctx.subcategory.pk, ctx.batch.region_id, RecordStatus.ACTIVE, ctx.batch.pk, now, now,
              *ctx.staged_range()]  # fmt: skip
    if ctx.sql.pg:
        # The new records come straight back from the insert, and their create versions (the values as created)
        # are written from them in the same statement: no second join over the records or the staged rows. The
        # caller holds the change-feed lock (lock_change_feed) from here on.
        cursor.execute(
            f'WITH created AS ({insert} RETURNING id, entity_id, "values"), '
            f"versions AS (INSERT INTO {T_VERSION} (record_id, version, action, changes, subcategory_id, region_id, "
            "batch_id, acting_user_id, note, created_at) SELECT c.id, 1, %s, c.\"values\", %s, %s, %s, %s, '', %s "
            "FROM created AS c ORDER BY c.id) "
            "UPDATE merge_stage SET record_id = created.id, op = %s FROM created "
            "WHERE merge_stage.entity_id = created.entity_id",
            [*params, VersionAction.CREATE, ctx.subcategory.pk, ctx.batch.region_id, ctx.batch.pk, ctx.user_id, now,
             CREATE],
        )  # fmt: skip
    else:
        cursor.execute(insert, params)
        cursor.execute(
            f"UPDATE merge_stage SET record_id = r.id, op = %s FROM {T_RECORD} AS r "
            "WHERE merge_stage.record_id IS NULL AND r.entity_id = merge_stage.entity_id AND r.subcategory_id = %s "
            "AND r.last_batch_id = %s AND r.version = 1",
            [CREATE, ctx.subcategory.pk, ctx.batch.pk],
        )
    cursor.execute("SELECT COUNT(*) FROM merge_stage WHERE record_id IS NULL")
    return cursor.fetchone()[0]


def _insert_create_versions(cursor, ctx: _Context, now) -> int:
    """The create versions of the chunk's new records: written with the records on PostgreSQL (counted here),
    from the staged values on SQLite."""
    if ctx.sql.pg:
        cursor.execute("SELECT COUNT(*) FROM merge_stage WHERE op = %s", [CREATE])
        return cursor.fetchone()[0]
    cursor.execute(
        f"INSERT INTO {T_VERSION} (record_id, version, action, changes, subcategory_id, region_id, batch_id, "
        f"acting_user_id, note, created_at) SELECT s.record_id, 1, %s, {SR_VALUES}, "
        f"%s, %s, %s, %s, '', %s FROM merge_stage AS s {STAGED_JOIN} "
        "WHERE s.op = %s ORDER BY s.staged_row_id",
        [
            VersionAction.CREATE,
            ctx.subcategory.pk,
            ctx.batch.region_id,
            ctx.batch.pk,
            ctx.user_id,
            now,
            *ctx.staged_range(),
            CREATE,
        ],
    )
    return cursor.rowcount


def _apply_changes(cursor, ctx: _Context, changed: list[tuple], now) -> None:
    """Write updated and restored records and their versions; `changed` holds
    (staged_row_id, record_id, new values, new version, changes, action)."""
    if not changed:
        return
    ctx.sql.create_temp(
        cursor,
        "merge_changed",
        f"staged_row_id {ctx.sql.id}, record_id {ctx.sql.id} PRIMARY KEY, vals {ctx.sql.json}, version integer, "
        f"changes {ctx.sql.json}, action varchar(10)",
    )
    rows = [
        (s, r, json.dumps(v, ensure_ascii=False), n, json.dumps(c, ensure_ascii=False), a)
        for s, r, v, n, c, a in changed
    ]
    ctx.sql.load(cursor, "merge_changed", ("staged_row_id", "record_id", "vals", "version", "changes", "action"), rows)
    cursor.execute(
        f'UPDATE {T_RECORD} SET "values" = u.vals, version = u.version, status = %s, region_id = %s, '
        f"last_batch_id = %s, updated_at = %s FROM merge_changed AS u WHERE {T_RECORD}.id = u.record_id",
        [RecordStatus.ACTIVE, ctx.batch.region_id, ctx.batch.pk, now],
    )
    cursor.execute(
        f"INSERT INTO {T_VERSION} (record_id, version, action, changes, subcategory_id, region_id, batch_id, "
        "acting_user_id, note, created_at) SELECT u.record_id, u.version, u.action, u.changes, %s, %s, %s, %s, '', %s "
        "FROM merge_changed AS u ORDER BY u.record_id",
        [ctx.subcategory.pk, ctx.batch.region_id, ctx.batch.pk, ctx.user_id, now],
    )


def _conflict_message(ctx: _Context, key: str, region) -> str:
    where = f"{region.name}（{region.code}）" if region else "其他乡镇"
    return (
        f"主体标识“{key}”在“{ctx.subcategory.name}”中已由{where}报送，本行未入库，"
        "已转为跨乡镇冲突，待两乡镇共同上级的数据核验员处理（保留原记录、采用新数据或人工修改）"
    )


def _record_conflicts(ctx: _Context, conflicts: list[tuple]) -> None:
    """Conflict rows and their `conflict` warnings on the batch; `conflicts` holds the fetched existing rows."""
    if not conflicts:
        return
    from regions.models import Region

    regions = Region.objects.in_bulk({row[6] for row in conflicts})
    key_item = (ctx.subcategory.key_items or [""])[0]
    objects, issues = [], []
    for staged_id, row, key, entity_id, vals, record_id, region_id, _status, _values, _version in conflicts:
        objects.append(
            Conflict(
                subcategory=ctx.subcategory,
                entity_id=entity_id,
                record_id=record_id,
                batch=ctx.batch,
                staged_row_id=staged_id,
                incoming_values=_json(vals),
                existing_region_id=region_id,
                incoming_region_id=ctx.batch.region_id,
            )
        )
        issues.append(
            BatchIssue(
                batch=ctx.batch,
                staged_row_id=staged_id,
                row=row,
                item=key_item,
                rule=IssueRule.CONFLICT,
                severity=Severity.WARNING,
                message=_conflict_message(ctx, key, regions.get(region_id)),
                value=key,
            )
        )
    Conflict.objects.bulk_create(objects, batch_size=2000)
    BatchIssue.objects.bulk_create(issues, batch_size=2000)


def _mark_staged(cursor, ctx: _Context, low: int, high: int, conflict_ids: list[int]) -> None:
    # The chunk's id range lets the planner walk the primary key over the chunk only, whatever the table's size.
    cursor.execute(
        f"UPDATE {T_STAGED} SET merge_state = %s WHERE id > %s AND id <= %s "
        "AND id IN (SELECT staged_row_id FROM merge_stage)",
        [MergeState.MERGED, low, high],
    )
    for start in range(0, len(conflict_ids), 5000):
        StagedRow.objects.filter(id__in=conflict_ids[start : start + 5000]).update(merge_state=MergeState.CONFLICT)
    # Rows left out of merge_stage (a repeated key) and invalid rows of the chunk never merge.


def _merge_chunk(ctx: _Context, low: int, high: int) -> MergeResult:
    """Merge the staged rows with low < id <= high; runs inside the caller's transaction."""
    now, result = connection.ops.adapt_datetimefield_value(timezone.now()), MergeResult()
    ctx.low, ctx.high = low, high
    changed, conflicts, seen = [], [], set()
    with connection.cursor() as cursor:
        if ctx.sql.pg:
            # The chunk commits without waiting for its WAL flush: a server crash may lose the last chunks whole,
            # checkpoint included (same transaction), and merge_batch then redoes them; later commits flush them.
            cursor.execute("SET LOCAL synchronous_commit = off")
            # The chunk's sorts and hashes (25,000 rows of values) fit in memory instead of spilling to disk.
            cursor.execute(f"SET LOCAL work_mem = '{MERGE_WORK_MEM}'")
        # Two statements, not one with the entity insert as a CTE: joining a CTE's rows by key leaves the planner
        # without statistics (it guessed one row and chose a nested loop: minutes per chunk for a fresh batch).
        _insert_entities(cursor, ctx, low, high, now)
        _stage_chunk(cursor, ctx, low, high)
        for attempt in range(5):
            if attempt:
                _link_records(cursor, ctx)
                result.unchanged += _mark_identical(cursor, ctx)
            else:
                cursor.execute("SELECT COUNT(*) FROM merge_stage WHERE op = %s", [UNCHANGED])
                result.unchanged += cursor.fetchone()[0]
            for row in _fetch_existing(cursor, ctx, seen):
                staged_id, _row, _key, _entity, vals, record_id, region_id, status, values, version = row
                seen.add(staged_id)
                op, changes = classify((region_id, status, _json(values)), _json(vals), ctx.batch.region_id)
                result.add(op)
                if op in (UPDATE, RESTORE):
                    action = VersionAction.UPDATE if op == UPDATE else VersionAction.RESTORE
                    new_values = {**_json(values), **_json(vals)}
                    changed.append((staged_id, record_id, new_values, version + 1, changes, action))
                elif op == CONFLICT:
                    conflicts.append(row)
            # From the first record insert (which writes create versions on PostgreSQL) to commit, this chunk's
            # versions are the newest ids (change-feed order). Taken again on later attempts: a no-op.
            lock_change_feed()
            if _insert_records(cursor, ctx, now) == 0:
                break
        else:
            raise RuntimeError("merge could not settle concurrent inserts")
        result.created += _insert_create_versions(cursor, ctx, now)
        _apply_changes(cursor, ctx, changed, now)
        _record_conflicts(ctx, conflicts)
        _mark_staged(cursor, ctx, low, high, [row[0] for row in conflicts])
        cursor.execute("DROP TABLE IF EXISTS merge_stage")
        cursor.execute("DROP TABLE IF EXISTS merge_changed")
    return result


def _chunk_end(batch: Batch, low: int, chunk_size: int) -> int | None:
    """The staged row id closing the next chunk after `low`, or None when every row has been processed."""
    rows = StagedRow.objects.filter(batch=batch, id__gt=low).order_by("id").values_list("id", flat=True)
    end = rows[chunk_size - 1 : chunk_size].first()
    return end if end is not None else rows.order_by("-id").first()


def _start_run(batch: Batch, acting_user) -> MergeRun:
    with transaction.atomic():
        run, _ = MergeRun.objects.select_for_update().get_or_create(batch=batch, defaults={"acting_user": acting_user})
        if run.status == MergeRunStatus.REVERTED:
            run.status, run.last_row, run.error = MergeRunStatus.RUNNING, 0, ""
            run.created = run.updated = run.unchanged = run.conflicts = 0
            run.acting_user, run.finished_at = acting_user, None
            run.save()
        elif run.status == MergeRunStatus.FAILED:
            MergeRun.objects.filter(pk=run.pk).update(status=MergeRunStatus.RUNNING, error="")
        Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.MERGING)
    return run


def _finish_run(batch: Batch, run_id: int, started: float) -> MergeRun:
    with transaction.atomic():
        run = MergeRun.objects.select_for_update().get(pk=run_id)
        if run.status != MergeRunStatus.FINISHED:
            StagedRow.objects.filter(batch=batch, merge_state=MergeState.PENDING).update(merge_state=MergeState.SKIPPED)
            run.status, run.finished_at = MergeRunStatus.FINISHED, timezone.now()
            run.seconds = (run.seconds or 0) + time.monotonic() - started
            run.save()
        counts = {k: getattr(run, k) for k in ("created", "updated", "unchanged", "conflicts")}
        Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.MERGED, **counts)
    return run


def merge_batch(batch: Batch, *, acting_user, chunk_size: int = CHUNK_SIZE, _crash_after_chunks: int | None = None):
    """Merge the valid, pending rows of `batch` into the base database; returns the batch's MergeResult.

    acting_user: the approving officer (their region must cover the batch's) or None for the system (CLI, tasks).

    Chunked, each chunk one transaction with the checkpoint; re-running after a crash resumes and finishes exactly
    once, and merging a merged batch again returns its counts without writing. `_crash_after_chunks` is a test-only
    hook: after that many committed chunks the next one raises SimulatedCrash after its writes (rolled back).
    """
    if acting_user is not None and not can(acting_user, Action.REVIEW, batch.region_id):
        raise PermissionDenied("您没有将该批次入库的权限。")
    if batch.status not in MERGEABLE_STATUSES:
        raise ValidationError(f"批次状态为“{batch.get_status_display()}”，不能入库。")
    started = time.monotonic()
    subcategory = Subcategory.objects.select_related("category__domain").get(pk=batch.subcategory_id)
    ctx = _Context(batch, subcategory, _kind(subcategory), getattr(acting_user, "pk", None), _Sql())
    run = _start_run(batch, acting_user)
    try:
        _merge_chunks(batch, ctx, run, chunk_size, _crash_after_chunks)
    except Exception as exc:
        MergeRun.objects.filter(pk=run.pk).update(status=MergeRunStatus.FAILED, error=repr(exc)[:2000])
        raise
    run = _finish_run(batch, run.pk, started)
    batch.refresh_from_db()
    if run.created or run.updated:
        notify_subscribers()
    return MergeResult(run.created, run.updated, run.unchanged, run.conflicts)


def _merge_chunks(batch: Batch, ctx: _Context, run: MergeRun, chunk_size: int, crash_after: int | None) -> None:
    done = 0
    while True:
        with transaction.atomic():
            run = MergeRun.objects.select_for_update().get(pk=run.pk)
            end = None if run.status == MergeRunStatus.FINISHED else _chunk_end(batch, run.last_row, chunk_size)
            if end is None:
                return
            chunk = _merge_chunk(ctx, run.last_row, end)
            for name in ("created", "updated", "unchanged", "conflicts"):
                setattr(run, name, getattr(run, name) + getattr(chunk, name))
            run.last_row = end
            run.save(update_fields=["last_row", "created", "updated", "unchanged", "conflicts"])
            done += 1
            if crash_after is not None and done > crash_after:
                raise SimulatedCrash(f"simulated crash in chunk {done}")
