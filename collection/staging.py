"""Staged rows and their issues as intake stores them: plain tuples bulk-inserted, never model instances.

A 100k-row upload spends most of its storing time in Django's bulk_create preparing instances; intake rows need none
of that, so rows go in as tuples through one helper (`bulk_insert`, COPY on PostgreSQL) that basedb's merge also uses
for its working tables.
"""

import json
from collections import Counter
from itertools import islice
from json.encoder import encode_basestring  # C-accelerated; keeps non-ASCII text as is

import numpy as np
import pandas as pd
from django.db import connection, transaction

from . import leases
from .models import Batch, BatchIssue, StagedRow
from .pipeline.types import ERROR, WARNING, Issue, VerifiedChunk

DB_BATCH_SIZE = 2000  # rows per INSERT: large enough to be fast, small enough for SQLite's variable limit


@transaction.atomic
def clear_staged(batch: Batch, recognition_issues: list[Issue]) -> None:
    """Delete what an earlier run stored for this batch and store the recognition's issues (unknown columns)."""
    leases.check(batch.pk)
    # Raw deletes: a 100k-row batch must not be loaded into Python to be deleted; the cascades are explicit here.
    for queryset in (batch.issues.all(), batch.edits.all(), batch.staged_rows.all()):
        queryset._raw_delete(queryset.db)
    BatchIssue.objects.bulk_create([issue_row(batch, issue, None) for issue in recognition_issues])
    for name in ("rows", "valid", "invalid", "duplicates_in_file", "corrections", "created", "updated", "unchanged"):
        setattr(batch, name, 0)
    batch.conflicts, batch.correction_summary = 0, {}


def issue_row(batch: Batch, issue: Issue, staged_row_id: int | None) -> BatchIssue:
    return BatchIssue(
        batch=batch,
        staged_row_id=staged_row_id,
        row=issue.row,
        column=(issue.column or "")[:200],
        column_index=issue.column_index,
        item=issue.item or "",
        rule=issue.rule,
        severity=issue.severity,
        message=issue.message,
        value="" if issue.value is None else str(issue.value),
    )


def column_list(series) -> list:
    """A frame column as a Python list with NaN/NA as None (the pipeline's frames already hold None)."""
    return series.astype(object).where(series.notna(), None).tolist() if series.hasnans else series.tolist()


def chunk_records(frame) -> list[tuple[int, dict, str | None, bool]]:
    """(row, values, key, is_valid) of every row of a verified frame; NaN/NA become None."""
    items = [c for c in frame.columns if not str(c).startswith("_")]
    columns = [column_list(frame[c]) for c in items]
    values = (
        [dict(zip(items, cells, strict=True)) for cells in zip(*columns, strict=True)] if items else [{}] * len(frame)
    )
    keys = column_list(frame["_key"])
    rows, valid = frame["_row"].astype(int).tolist(), frame["_valid"].astype(bool).tolist()
    return list(zip(rows, values, keys, valid, strict=True))


STAGED_COLUMNS = ("batch", "row", "values", "key", "is_valid", "errors", "warnings", "merge_state", "place")
ISSUE_COLUMNS = ("batch", "staged_row", "row", "column", "column_index", "item", "rule", "severity", "message", "value")


@transaction.atomic
def store_chunk(batch: Batch, chunk: VerifiedChunk) -> None:
    """Insert one chunk's staged rows, then its issues linked to them (plain tuples, COPY on PostgreSQL).

    Renews the batch's lease first (LeaseLost when another process took the batch over: nothing is stored)."""
    leases.check(batch.pk)
    frame = chunk.frame
    per_row = Counter((i.row, i.severity) for i in chunk.issues)
    rows, keys = frame["_row"].astype(int).tolist(), column_list(frame["_key"])
    valid, values = frame["_valid"].astype(bool).tolist(), rows_as_json(frame)
    places = column_list(frame["_place"]) if "_place" in frame.columns else [None] * len(rows)
    bulk_insert(
        StagedRow,
        STAGED_COLUMNS,
        (
            (batch.pk, row, json_text, key, ok, per_row[(row, ERROR)], per_row[(row, WARNING)], "pending", place)
            for row, json_text, key, ok, place in zip(rows, values, keys, valid, places, strict=True)
        ),
    )
    if not chunk.issues:
        return
    # COPY returns no ids: the chunk's rows are read back by their row numbers, one range scan of the batch's index.
    ids = dict(batch.staged_rows.filter(row__gte=min(rows), row__lte=max(rows)).values_list("row", "id"))
    bulk_insert(BatchIssue, ISSUE_COLUMNS, (_issue_tuple(batch, i, ids.get(i.row)) for i in chunk.issues))


def rows_as_json(frame) -> list[str]:
    """Each row's item values as JSON object text, built column by column: every distinct value of a column is
    encoded once, then each row's pieces are joined; no per-row dict or json.dumps (several times faster)."""
    items = [c for c in frame.columns if not str(c).startswith("_")]
    pieces = []
    for n, item in enumerate(items):
        codes, distinct = pd.factorize(frame[item].astype(object), use_na_sentinel=True)
        prefix = f"{',' if n else ''}{encode_basestring(str(item))}:"
        # The extra last entry is what code -1 (an empty cell) picks: numpy's negative index.
        encoded = np.array([*(prefix + _json_value(v) for v in distinct), prefix + "null"], dtype=object)
        pieces.append(encoded[codes].tolist())
    return ["{" + "".join(parts) + "}" for parts in zip(*pieces, strict=True)] if pieces else ["{}"] * len(frame)


def _json_value(value) -> str:
    return encode_basestring(value) if isinstance(value, str) else json.dumps(value)


def _issue_tuple(batch: Batch, issue: Issue, staged_row_id: int | None) -> tuple:
    value = "" if issue.value is None else str(issue.value)
    return (batch.pk, staged_row_id, issue.row, (issue.column or "")[:200], issue.column_index, issue.item or "",
            issue.rule, issue.severity, issue.message, value)  # fmt: skip


def bulk_insert(model, fields: tuple[str, ...], rows) -> None:
    """Insert plain tuples into a model's table without building model instances (see insert_rows).

    Django's bulk_create spends most of a 100k-row upload preparing instances; intake rows need none of that.
    """
    quote = connection.ops.quote_name
    columns = [quote(model._meta.get_field(f).column) for f in fields]
    with connection.cursor() as cursor:
        insert_rows(cursor, quote(model._meta.db_table), columns, rows)


def insert_rows(cursor, table: str, columns: list[str] | tuple[str, ...], rows) -> None:
    """Insert plain tuples into `table` (names as SQL, quoted where needed): COPY on PostgreSQL, executemany in
    slices of DB_BATCH_SIZE elsewhere. The one bulk writer of intake and of basedb's merge (its working tables)."""
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 (names only)
    rows = iter(rows)
    while batch := list(islice(rows, DB_BATCH_SIZE)):
        cursor.executemany(sql, batch)
