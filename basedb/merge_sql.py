# ruff: noqa: S608  -- SQL strings interpolate only model table names and constants; values are parameters.
"""The set-wise SQL statements of a merge chunk (see basedb/merge.py for the order they run in).

A chunk of staged rows is copied into the temporary table merge_stage with one INSERT ... SELECT; every step after
that is one statement over the whole chunk. The same statements run on PostgreSQL and SQLite; the few dialect
differences are in `Dialect`.
"""

import json
from dataclasses import dataclass

from django.db import connection

from catalog.models import Subcategory
from collection.choices import MergeState
from collection.models import Batch, StagedRow
from collection.staging import insert_rows
from regions.placement import TOWNSHIP_LENGTH

from .choices import RecordStatus, VersionAction
from .models import RecordVersion
from .outcomes import CREATE, T_ENTITY, T_RECORD, UNCHANGED
from .summaries import T_COUNT, index_links, unindex_links


class Dialect:
    """The few statements that differ between PostgreSQL and SQLite."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"
        self.json = "jsonb" if self.pg else "text"
        self.id = "bigint" if self.pg else "integer"

    def create_temp(self, cursor, name: str, columns: str) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        suffix = " ON COMMIT DROP" if self.pg else ""
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}){suffix}")

    def lock_suffix(self) -> str:
        return " FOR UPDATE OF r" if self.pg else ""


T_VERSION, T_STAGED = RecordVersion._meta.db_table, StagedRow._meta.db_table


@dataclass
class ChunkContext:
    """One merge: the batch, its subcategory and entity kind, the acting user, and the chunk being merged."""

    batch: Batch
    subcategory: Subcategory
    kind: str
    user_id: int | None
    sql: Dialect
    display_name_keys: tuple[str, ...] = ()  # the subcategory's name items, then its addresses (catalog roles)
    placement_keys: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # its (grid items, address items)
    placer: object = None  # a regions.placement.Placer, kept for the whole merge
    floor: str | None = None  # a village collector's batch: its village, outside which no record is written
    pointers: tuple[tuple[str, str], ...] = ()  # its pointing items (item key, kind named): the link index
    low: int = 0  # the chunk being merged: staged row ids low < id <= high
    high: int = 0

    def staged_range(self) -> list[int]:
        return [self.low, self.high]

    @property
    def routed(self) -> bool:
        """A department's city- or county-wide roster: each row's township is the head of its place (its row was
        routed at intake, collection/routing.py); otherwise every row is the batch's township's."""
        return len(self.batch.region_id) < TOWNSHIP_LENGTH

    def township(self, alias: str = "sr") -> tuple[str, list]:
        """(SQL, params) of a staged row's township."""
        if self.routed:
            return f"SUBSTR({alias}.place, 1, {TOWNSHIP_LENGTH})", []
        return "%s", [self.batch.region_id]

    def township_of(self, place: str | None) -> str:
        """A staged row's township in Python, from its place (see `township`)."""
        return (place or "")[:TOWNSHIP_LENGTH] if self.routed else self.batch.region_id


def _display_name_sql(column: str, keys: tuple[str, ...]) -> str:
    # Element keys are snake_case by the catalog's own check (catalog/source.py), so they are safe inside the SQL.
    names = "".join(f"{column} ->> '{key}', " for key in keys)
    return f"SUBSTR(COALESCE({names}''), 1, 200)"


SR_VALUES = 'sr."values"'
# Staged rows are joined by id within the chunk's id range, so the planner walks the primary key over the chunk
# instead of hashing the whole (ever-growing) staged-row table.
STAGED_JOIN = f"JOIN {T_STAGED} AS sr ON sr.id = s.staged_row_id AND sr.id > %s AND sr.id <= %s"
IDENTICAL_SQL = 'CASE WHEN r.region_id = {township} AND r.status = %s AND r."values" = sr."values" THEN %s END'
# The chunk's rows that may merge: valid, not merged yet, with a key.
CHUNK_ROWS = (
    "sr.batch_id = %s AND sr.id > %s AND sr.id <= %s AND sr.is_valid AND sr.merge_state = %s "
    "AND sr.key IS NOT NULL AND sr.key <> ''"
)


def insert_entities(cursor, ctx: ChunkContext, low: int, high: int, now) -> None:
    # Sorted inserts: two concurrent merges wait on each other instead of deadlocking.
    township, params = ctx.township()
    cursor.execute(
        f"INSERT INTO {T_ENTITY} (kind, key, region_id, display_name, created_at, updated_at) "
        f"SELECT %s, sr.key, {township}, {_display_name_sql(SR_VALUES, ctx.display_name_keys)}, %s, %s "
        f"FROM {T_STAGED} AS sr WHERE {CHUNK_ROWS} ORDER BY sr.key ON CONFLICT (kind, key) DO NOTHING",
        [ctx.kind, *params, now, now, ctx.batch.pk, low, high, MergeState.PENDING],
    )


def stage_chunk(cursor, ctx: ChunkContext, low: int, high: int) -> None:
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
    township, params = ctx.township()
    cursor.execute(
        "INSERT INTO merge_stage (staged_row_id, row, key, entity_id, record_id, op) "
        f"SELECT sr.id, sr.row, sr.key, e.id, r.id, {IDENTICAL_SQL.format(township=township)} FROM {T_STAGED} AS sr "
        f"JOIN {T_ENTITY} AS e ON e.kind = %s AND e.key = sr.key "
        f"LEFT JOIN {T_RECORD} AS r ON r.entity_id = e.id AND r.subcategory_id = %s "
        f"WHERE {CHUNK_ROWS} ORDER BY sr.id ON CONFLICT (key) DO NOTHING",
        [*params, RecordStatus.ACTIVE, UNCHANGED, ctx.kind, ctx.subcategory.pk, ctx.batch.pk, low, high,
         MergeState.PENDING],
    )  # fmt: skip
    if ctx.sql.pg:
        # Temporary tables get no statistics unless analysed; without them the joins below may scan every record.
        cursor.execute("ANALYZE merge_stage")


def link_records(cursor, ctx: ChunkContext) -> None:
    """Link rows to records inserted meanwhile by a concurrent merge (after losing an insert race)."""
    cursor.execute(
        f"UPDATE merge_stage SET record_id = r.id FROM {T_RECORD} AS r "
        "WHERE merge_stage.record_id IS NULL AND r.entity_id = merge_stage.entity_id AND r.subcategory_id = %s",
        [ctx.subcategory.pk],
    )


def mark_identical(cursor, ctx: ChunkContext) -> int:
    """The re-import fast path for rows linked to a record after losing an insert race (see stage_chunk)."""
    township, params = ctx.township()
    cursor.execute(
        f"UPDATE merge_stage SET op = %s FROM {T_RECORD} AS r, {T_STAGED} AS sr "
        "WHERE merge_stage.op IS NULL AND r.id = merge_stage.record_id AND sr.id = merge_stage.staged_row_id "
        f'AND sr.id > %s AND sr.id <= %s AND r.region_id = {township} AND r.status = %s AND r."values" = sr."values"',
        [UNCHANGED, *ctx.staged_range(), *params, RecordStatus.ACTIVE],
    )
    return cursor.rowcount


def fetch_existing(cursor, ctx: ChunkContext, seen: set[int]) -> list[tuple]:
    """Rows whose key already has a record in the subcategory, with both values, locked on PostgreSQL; the last
    columns are the staged row's place (its township, for a routed batch) and the record's place."""
    cursor.execute(
        f'SELECT s.staged_row_id, s.row, s.key, s.entity_id, sr."values", r.id, r.region_id, r.status, r."values", '
        f"r.version, sr.place, r.place_id FROM merge_stage AS s JOIN {T_RECORD} AS r ON r.id = s.record_id "
        f"{STAGED_JOIN} WHERE s.op IS NULL ORDER BY r.id{ctx.sql.lock_suffix()}",
        ctx.staged_range(),
    )
    return [row for row in cursor.fetchall() if row[0] not in seen]


def insert_records(cursor, ctx: ChunkContext, now) -> int:
    """Create the records of the rows that have none; returns how many rows are still without a record (they lost
    a race with a concurrent merge and are classified again)."""
    # A new record takes the place intake found for its row (collection/placing.py); rows staged before placement
    # existed have none and start in the township.
    township, region = ctx.township()
    insert = (
        f'INSERT INTO {T_RECORD} (entity_id, subcategory_id, region_id, place_id, "values", status, version, '
        f"last_batch_id, created_at, updated_at) SELECT s.entity_id, %s, {township}, COALESCE(sr.place, {township}), "
        f'sr."values", %s, 1, %s, %s, %s FROM merge_stage AS s {STAGED_JOIN} WHERE s.record_id IS NULL '
        "ORDER BY s.entity_id ON CONFLICT (entity_id, subcategory_id) DO NOTHING"
    )
    params = [ctx.subcategory.pk, *region, *region, RecordStatus.ACTIVE, ctx.batch.pk, now, now, *ctx.staged_range()]
    if ctx.sql.pg:
        # The new records come straight back from the insert, and their create versions (the values as created)
        # are written from them in the same statement: no second join over the records or the staged rows. The
        # caller holds the change-feed lock (lock_change_feed) from here on.
        # The board's counts of the new records come from the same rows (basedb/summaries.py).
        cursor.execute(
            f'WITH created AS ({insert} RETURNING id, entity_id, "values", region_id, place_id), '
            f"versions AS (INSERT INTO {T_VERSION} (record_id, version, action, changes, subcategory_id, region_id, "
            "batch_id, acting_user_id, note, created_at) SELECT c.id, 1, %s, c.\"values\", %s, c.region_id, %s, %s, "
            "'', %s FROM created AS c ORDER BY c.id), "
            f"counted AS (INSERT INTO {T_COUNT} (region_id, place_id, subcategory_id, records) "
            "SELECT c.region_id, c.place_id, %s, COUNT(*) FROM created AS c GROUP BY c.region_id, c.place_id) "
            "UPDATE merge_stage SET record_id = created.id, op = %s FROM created "
            "WHERE merge_stage.entity_id = created.entity_id",
            [*params, VersionAction.CREATE, ctx.subcategory.pk, ctx.batch.pk, ctx.user_id, now, ctx.subcategory.pk,
             CREATE],
        )  # fmt: skip
    else:
        cursor.execute(insert, params)
        created = (
            f"{T_RECORD} AS r WHERE merge_stage.record_id IS NULL AND r.entity_id = merge_stage.entity_id "
            "AND r.subcategory_id = %s AND r.last_batch_id = %s AND r.version = 1"
        )
        cursor.execute(
            f"INSERT INTO {T_COUNT} (region_id, place_id, subcategory_id, records) SELECT r.region_id, r.place_id, "
            f"r.subcategory_id, COUNT(*) FROM merge_stage, {created} "
            "GROUP BY r.region_id, r.place_id, r.subcategory_id",
            [ctx.subcategory.pk, ctx.batch.pk],
        )
        cursor.execute(
            f"UPDATE merge_stage SET record_id = r.id, op = %s FROM {created}",
            [CREATE, ctx.subcategory.pk, ctx.batch.pk],
        )
    cursor.execute("SELECT COUNT(*) FROM merge_stage WHERE record_id IS NULL")
    return cursor.fetchone()[0]


def index_created(cursor, ctx: ChunkContext) -> None:
    """The link index of the chunk's new records (subcategories with pointing items only)."""
    if ctx.pointers:
        where = "r.id IN (SELECT record_id FROM merge_stage WHERE op = %s)"
        index_links(cursor, {ctx.subcategory.pk: ctx.pointers}, where, [CREATE])


def insert_create_versions(cursor, ctx: ChunkContext, now) -> int:
    """The create versions of the chunk's new records: written with the records on PostgreSQL (counted here),
    from the staged values on SQLite."""
    if ctx.sql.pg:
        cursor.execute("SELECT COUNT(*) FROM merge_stage WHERE op = %s", [CREATE])
        return cursor.fetchone()[0]
    township, region = ctx.township()
    cursor.execute(
        f"INSERT INTO {T_VERSION} (record_id, version, action, changes, subcategory_id, region_id, batch_id, "
        f"acting_user_id, note, created_at) SELECT s.record_id, 1, %s, {SR_VALUES}, "
        f"%s, {township}, %s, %s, '', %s FROM merge_stage AS s {STAGED_JOIN} "
        "WHERE s.op = %s ORDER BY s.staged_row_id",
        [
            VersionAction.CREATE,
            ctx.subcategory.pk,
            *region,
            ctx.batch.pk,
            ctx.user_id,
            now,
            *ctx.staged_range(),
            CREATE,
        ],
    )
    return cursor.rowcount


def apply_changes(cursor, ctx: ChunkContext, changed: list[tuple], now) -> None:
    """Write updated and restored records and their versions; `changed` holds
    (staged_row_id, record_id, new values, new version, changes, action, township, new place or None). A new place
    (the record's placement items changed) replaces the record's place, a manual one included; None keeps it."""
    if not changed:
        return
    ctx.sql.create_temp(
        cursor,
        "merge_changed",
        f"staged_row_id {ctx.sql.id}, record_id {ctx.sql.id} PRIMARY KEY, vals {ctx.sql.json}, version integer, "
        f"changes {ctx.sql.json}, action varchar(10), region varchar(15), place varchar(15)",
    )
    rows = [
        (s, r, json.dumps(v, ensure_ascii=False), n, json.dumps(c, ensure_ascii=False), a, t, p)
        for s, r, v, n, c, a, t, p in changed
    ]
    columns = ("staged_row_id", "record_id", "vals", "version", "changes", "action", "region", "place")
    insert_rows(cursor, "merge_changed", columns, rows)
    cursor.execute(
        f'UPDATE {T_RECORD} SET "values" = u.vals, version = u.version, status = %s, region_id = u.region, '
        f"place_id = COALESCE(u.place, {T_RECORD}.place_id), "
        f"place_manual = CASE WHEN u.place IS NULL THEN {T_RECORD}.place_manual ELSE %s END, "
        f"last_batch_id = %s, updated_at = %s FROM merge_changed AS u WHERE {T_RECORD}.id = u.record_id",
        [RecordStatus.ACTIVE, False, ctx.batch.pk, now],
    )
    cursor.execute(
        f"INSERT INTO {T_VERSION} (record_id, version, action, changes, subcategory_id, region_id, batch_id, "
        "acting_user_id, note, created_at) SELECT u.record_id, u.version, u.action, u.changes, %s, u.region, %s, %s, "
        "'', %s FROM merge_changed AS u ORDER BY u.record_id",
        [ctx.subcategory.pk, ctx.batch.pk, ctx.user_id, now],
    )
    if ctx.pointers:  # their links, from the values just written
        unindex_links(cursor, "SELECT record_id FROM merge_changed")
        index_links(cursor, {ctx.subcategory.pk: ctx.pointers}, "r.id IN (SELECT record_id FROM merge_changed)")


def mark_staged(cursor, ctx: ChunkContext, low: int, high: int, conflict_ids: list[int]) -> None:
    # The chunk's id range lets the planner walk the primary key over the chunk only, whatever the table's size.
    cursor.execute(
        f"UPDATE {T_STAGED} SET merge_state = %s WHERE id > %s AND id <= %s "
        "AND id IN (SELECT staged_row_id FROM merge_stage)",
        [MergeState.MERGED, low, high],
    )
    for start in range(0, len(conflict_ids), 5000):
        StagedRow.objects.unrestricted("merge: the rows of the batch being merged").filter(
            id__in=conflict_ids[start : start + 5000]
        ).update(merge_state=MergeState.CONFLICT)
    # Rows left out of merge_stage (a repeated key) and invalid rows of the chunk never merge.
