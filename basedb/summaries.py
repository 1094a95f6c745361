# ruff: noqa: S608  -- SQL strings interpolate only table names, constants and placeholders; values are parameters.
"""Two small tables the base database keeps beside its records, so that pages read a few rows instead of millions:

- the link index (RecordLink): the key each pointing item of a record names (a house's owner, a household's house),
  read by the entity page's incoming links (basedb/links.py) through its (kind, key) index;
- the record counts (RecordCount): active records per township, place and subcategory as signed deltas, summed by
  the board and the drill-down (basedb/board.py, levels.py).

Every writer keeps them explicitly, set-wise, in its own transaction: the merge (merge_sql.py: counts and links of
the records it creates and changes), conflict resolution and revert (their records), placement (`_write_places`:
counts move with the place). Counts are only ever appended (no row is updated, so concurrent writers never wait on
each other); `compact_counts` folds a subtree's rows, skipping rows another transaction holds. `rebuild_links` and
`rebuild_counts` compute both from the records (the migration that created them, `manage.py rebuild_summaries`
after a bulk load that bypassed the merge); a catalog load that changes pointing items rebuilds their links.
"""

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction

from catalog.pointers import Pointers, pointing_items
from collection.staging import insert_rows
from regions.models import prefix_bounds

from .choices import RecordStatus
from .models import Record, RecordCount, RecordLink

T_RECORD, T_LINK, T_COUNT = Record._meta.db_table, RecordLink._meta.db_table, RecordCount._meta.db_table
KEY_LENGTH = 200  # Entity.key's length: a longer value names no entity
IDS_PER_QUERY = 5_000
CountKey = tuple[str, str, int]  # (township, place, subcategory id) of an active record


# ---------------------------------------------------------------------------------------------------------------
# The link index


def _named_value(pg: bool) -> tuple[str, str]:
    """SQL of the value of item p.column2 of record r, and the condition that it is a string (as the page compares)."""
    if pg:
        return 'r."values" ->> p.column2', "jsonb_typeof(r.\"values\" -> p.column2) = 'string'"
    return "json_extract(r.\"values\", '$.' || p.column2)", "json_type(r.\"values\", '$.' || p.column2) = 'text'"


def index_links(cursor, pointers: Pointers, where: str, params: Iterable = ()) -> None:
    """Insert the links of the records `r` matching `where` (SQL over alias r) from their current values, for the
    pointing items of their subcategory; the caller removed their old links."""
    if not pointers:
        return
    rows = [(sub, item, kind) for sub, items in sorted(pointers.items()) for item, kind in items]
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    value, is_text = _named_value(connection.vendor == "postgresql")
    cursor.execute(
        f"INSERT INTO {T_LINK} (record_id, item, kind, key) SELECT r.id, p.column2, p.column3, {value} "
        f"FROM {T_RECORD} AS r JOIN (VALUES {values}) AS p ON p.column1 = r.subcategory_id "
        f"WHERE ({where}) AND {is_text} AND {value} <> '' AND LENGTH({value}) <= {KEY_LENGTH}",
        [v for row in rows for v in row] + list(params),
    )


def unindex_links(cursor, ids_sql: str, params: Iterable = ()) -> None:
    """Remove the links of the records whose ids `ids_sql` (a SELECT of one column) returns."""
    cursor.execute(f"DELETE FROM {T_LINK} WHERE record_id IN ({ids_sql})", list(params))


def refresh_links(record_ids: Iterable[int]) -> None:
    """Index these records' links again from their values (conflict resolution and revert changed them)."""
    ids, pointers = sorted(set(record_ids)), None
    with connection.cursor() as cursor:
        for start in range(0, len(ids), IDS_PER_QUERY):
            part = ids[start : start + IDS_PER_QUERY]
            marks = ", ".join(["%s"] * len(part))
            unindex_links(cursor, f"SELECT id FROM {T_RECORD} WHERE id IN ({marks})", part)
            pointers = pointing_items() if pointers is None else pointers
            index_links(cursor, pointers, f"r.id IN ({marks})", part)


@transaction.atomic
def rebuild_links(subcategory_ids: Iterable[int] | None = None) -> None:
    """Index the links of every record (of these subcategories) again, from the catalog's pointing items."""
    pointers = pointing_items()
    with connection.cursor() as cursor:
        if subcategory_ids is None:
            cursor.execute(f"DELETE FROM {T_LINK}")
            index_links(cursor, pointers, "1 = 1")
            return
        subs = sorted(set(subcategory_ids))
        marks = ", ".join(["%s"] * len(subs))
        unindex_links(cursor, f"SELECT id FROM {T_RECORD} WHERE subcategory_id IN ({marks})", subs)
        index_links(cursor, {s: pointers[s] for s in subs if s in pointers}, "1 = 1")


def links_on_catalog_change(subcategory_ids: list[int]) -> None:
    """catalog.pointers subscriber: these subcategories' pointing items changed, index their records again."""
    rebuild_links(subcategory_ids)


# ---------------------------------------------------------------------------------------------------------------
# The record counts


def count_key(record: Record) -> CountKey | None:
    """Where an active record counts; None for a retired one."""
    if record.status != RecordStatus.ACTIVE:
        return None
    return record.region_id, record.place_id, record.subcategory_id


def moves(pairs: Iterable[tuple[CountKey | None, CountKey | None]]) -> Counter:
    """The count deltas of records moving from one key to another (None: not counted, i.e. retired or new)."""
    deltas = Counter()
    for before, after in pairs:
        if before != after:
            if before is not None:
                deltas[before] -= 1
            if after is not None:
                deltas[after] += 1
    return deltas


def add_counts(cursor, deltas: Counter) -> None:
    """Append these {(township, place, subcategory id): delta} rows (zero deltas left out)."""
    rows = [(*key, n) for key, n in sorted(deltas.items()) if n]
    if rows:
        insert_rows(cursor, T_COUNT, ("region_id", "place_id", "subcategory_id", "records"), rows)


def count_moves_sql(cursor, source: str, new_place: str, params: Iterable = ()) -> None:
    """Append the deltas of records `r` moving to the place `new_place` (SQL): `source` is the FROM ... WHERE of
    the active ones, read before the move is written."""
    cursor.execute(
        f"INSERT INTO {T_COUNT} (region_id, place_id, subcategory_id, records) "
        "SELECT region_id, place_id, subcategory_id, SUM(delta) FROM ("
        f"SELECT r.region_id, r.place_id, r.subcategory_id, -1 AS delta {source} "
        f"UNION ALL SELECT r.region_id, {new_place}, r.subcategory_id, 1 {source}"
        ") AS moved GROUP BY region_id, place_id, subcategory_id HAVING SUM(delta) <> 0",
        [*params, *params],
    )


def count_records(cursor, where: str, params: Iterable = ()) -> None:
    """Append the counts of the active records `r` matching `where` (records written without the merge, e.g. a
    benchmark's COPY; their links: `index_links`)."""
    cursor.execute(
        f"INSERT INTO {T_COUNT} (region_id, place_id, subcategory_id, records) "
        f"SELECT r.region_id, r.place_id, r.subcategory_id, COUNT(*) FROM {T_RECORD} AS r "
        f"WHERE r.status = %s AND ({where}) GROUP BY r.region_id, r.place_id, r.subcategory_id",
        [RecordStatus.ACTIVE, *params],
    )


@transaction.atomic
def rebuild_counts() -> None:
    """Count every active record again (one GROUP BY over the records)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {T_COUNT}")
        count_records(cursor, "1 = 1")


@transaction.atomic
def compact_counts(region: str | None = None) -> None:
    """Fold the count rows placed under `region` (everything when None) into one per (township, place,
    subcategory), groups summing to zero dropped. Rows another transaction is writing are left for the next time."""
    where, params = ("place_id >= %s AND place_id < %s", list(prefix_bounds(region))) if region else ("1 = 1", [])
    folded = "region_id, place_id, subcategory_id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH gone AS (DELETE FROM {T_COUNT} WHERE id IN (SELECT id FROM {T_COUNT} WHERE {where} "
                f"FOR UPDATE SKIP LOCKED) RETURNING {folded}, records) "
                f"INSERT INTO {T_COUNT} ({folded}, records) SELECT {folded}, SUM(records) FROM gone "
                f"GROUP BY {folded} HAVING SUM(records) <> 0",
                params,
            )
            return
        # SQLite has one writer at a time: read the sums, then replace the rows.
        cursor.execute(f"SELECT {folded}, SUM(records) FROM {T_COUNT} WHERE {where} GROUP BY {folded}", params)
        sums = [row for row in cursor.fetchall() if row[-1]]
        cursor.execute(f"DELETE FROM {T_COUNT} WHERE {where}", params)
        insert_rows(cursor, T_COUNT, ("region_id", "place_id", "subcategory_id", "records"), sums)
