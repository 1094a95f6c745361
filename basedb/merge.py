"""Merging the valid rows of a batch into the base database, set-wise and resumable.

The staged rows already live in the database (collection_stagedrow, bulk-inserted by intake), so a chunk of them is
copied into a temporary table with one INSERT ... SELECT, and every step after that is one SQL statement over the
whole chunk: INSERT ... ON CONFLICT DO NOTHING for entities and records (the unique constraints make concurrent
merges safe), UPDATE ... FROM for changed records, INSERT ... SELECT for their versions. Only rows whose key already
has a record come back to Python, to compute which items changed; those results go back through COPY (PostgreSQL)
or executemany (SQLite). The statements are in merge_sql.py; what each row comes to is decided in outcomes.py.

Each chunk is one transaction that also advances the batch's MergeRun checkpoint, so a killed worker leaves whole
chunks only, and re-running `merge_batch` resumes after the last committed chunk and finishes exactly once.
"""

import time
from collections import Counter

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Subcategory
from catalog.specs_build import build_table_spec
from collection import leases
from collection.choices import BatchStatus, IssueRule, MergeState, Severity
from collection.models import Batch, BatchIssue, StagedRow
from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb
from regions.placement import VILLAGE_LENGTH, Placer

from . import merge_sql as sql
from .choices import MergeRunStatus, RecordStatus, VersionAction
from .history import lock_change_feed, notify_subscribers
from .models import Conflict, MergeRun
from .outcomes import CONFLICT, RESTORE, UNCHANGED, UPDATE, MergeResult, as_json, classify, subcategory_kind
from .placement import derive_places
from .summaries import add_counts, compact_counts, moves

# A batch is merged after verification (rows with errors stay behind); MERGING/MERGED: resume or report.
MERGEABLE_STATUSES = frozenset(
    {BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW, BatchStatus.MERGING, BatchStatus.MERGED}
)


MERGE_WORK_MEM = "64MB"  # PostgreSQL work_mem of a merge chunk's transaction (the server default is 4MB)


class SimulatedCrash(RuntimeError):
    """Raised by the test-only hook of merge_batch to simulate a worker killed in the middle of a chunk."""


def _conflict_message(ctx: sql.ChunkContext, key: str, region, holder=None) -> str:
    if ctx.floor and region and region.code == ctx.batch.region_id:  # a village's row, held in its own township
        where = holder_name(holder, region)
        return (
            f"主体标识“{key}”在“{ctx.subcategory.name}”中已由{where}登记，本村（社区）不能修改其信息，本行未入库，"
            f"已转为冲突，待{region.name}的数据核验员处理（保留原记录、采用新数据或人工修改）"
        )
    where = f"{region.name}（{region.code}）" if region else "其他乡镇"
    return (
        f"主体标识“{key}”在“{ctx.subcategory.name}”中已由{where}报送，本行未入库，"
        "已转为跨乡镇冲突，待两乡镇共同上级的数据核验员处理（保留原记录、采用新数据或人工修改）"
    )


def holder_name(village, township) -> str:
    """Who holds a record inside a township, in Chinese: its village (村/社区), else the township itself."""
    if village is not None:
        return village.name
    return f"{township.name}（未落到村、社区）" if township is not None else "本乡镇（街道）"


def outside_floor(ctx: sql.ChunkContext, record_place: str | None) -> bool:
    """A village collector's row whose record is placed outside the village (another village, or only the
    township): the village may not write it (issue 14), whatever the values."""
    return bool(ctx.floor) and not (record_place or "").startswith(ctx.floor)


def _record_conflicts(ctx: sql.ChunkContext, conflicts: list[tuple]) -> None:
    """Conflict rows and their `conflict` warnings on the batch; `conflicts` holds the fetched existing rows."""
    if not conflicts:
        return
    from regions.models import Region

    villages = {(row[11] or "")[:VILLAGE_LENGTH] for row in conflicts}
    regions = Region.objects.in_bulk({row[6] for row in conflicts} | villages)
    key_item = (ctx.subcategory.key_items or [""])[0]
    objects, issues = [], []
    for staged_id, row, key, entity_id, vals, record_id, region_id, _status, _values, _version, place, at in conflicts:
        holder = regions.get((at or "")[:VILLAGE_LENGTH])
        objects.append(
            Conflict(
                subcategory=ctx.subcategory,
                entity_id=entity_id,
                record_id=record_id,
                batch=ctx.batch,
                staged_row_id=staged_id,
                incoming_values=as_json(vals),
                existing_region_id=region_id,
                incoming_region_id=ctx.township_of(place),
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
                message=_conflict_message(ctx, key, regions.get(region_id), holder),
                value=key,
            )
        )
    Conflict.objects.bulk_create(objects, batch_size=2000)
    BatchIssue.objects.bulk_create(issues, batch_size=2000)


def _merge_chunk(ctx: sql.ChunkContext, low: int, high: int) -> MergeResult:
    """Merge the staged rows with low < id <= high; runs inside the caller's transaction."""
    now, result = connection.ops.adapt_datetimefield_value(timezone.now()), MergeResult()
    ctx.low, ctx.high = low, high
    changed, conflicts, seen, before = [], [], set(), {}
    place_items = frozenset(ctx.placement_keys[0] + ctx.placement_keys[1])
    with connection.cursor() as cursor:
        if ctx.sql.pg:
            # The chunk commits without waiting for its WAL flush: a server crash may lose the last chunks whole,
            # checkpoint included (same transaction), and merge_batch then redoes them; later commits flush them.
            cursor.execute("SET LOCAL synchronous_commit = off")
            # The chunk's sorts and hashes (25,000 rows of values) fit in memory instead of spilling to disk.
            cursor.execute(f"SET LOCAL work_mem = '{MERGE_WORK_MEM}'")
        # Two statements, not one with the entity insert as a CTE: joining a CTE's rows by key leaves the planner
        # without statistics (it guessed one row and chose a nested loop: minutes per chunk for a fresh batch).
        sql.insert_entities(cursor, ctx, low, high, now)
        sql.stage_chunk(cursor, ctx, low, high)
        for attempt in range(5):
            if attempt:
                sql.link_records(cursor, ctx)
                result.unchanged += sql.mark_identical(cursor, ctx)
            else:
                cursor.execute("SELECT COUNT(*) FROM merge_stage WHERE op = %s", [UNCHANGED])
                result.unchanged += cursor.fetchone()[0]
            for row in sql.fetch_existing(cursor, ctx, seen):
                staged_id, _row, _key, _entity, vals, record_id, region_id, status, values, version, place, at = row
                seen.add(staged_id)
                township = ctx.township_of(place)
                op, changes = classify((region_id, status, as_json(values)), as_json(vals), township)
                if op == UPDATE and outside_floor(ctx, at):
                    op = CONFLICT  # for the township's officer; an unchanged row writes nothing and stays unchanged
                result.add(op)
                if op in (UPDATE, RESTORE):
                    action = VersionAction.UPDATE if op == UPDATE else VersionAction.RESTORE
                    new_values = {**as_json(values), **as_json(vals)}
                    # Placed again when its grid or an address changed (a manual place too), or when restored.
                    moved = op == RESTORE or not place_items.isdisjoint(changes)
                    changed.append((staged_id, record_id, new_values, version + 1, changes, action, township, moved))
                    before[record_id] = (region_id, at, status == RecordStatus.ACTIVE)
                elif op == CONFLICT:
                    conflicts.append(row)
            # From the first record insert (which writes create versions on PostgreSQL) to commit, this chunk's
            # versions are the newest ids (change-feed order). Taken again on later attempts: a no-op.
            lock_change_feed()
            if sql.insert_records(cursor, ctx, now) == 0:
                break
        else:
            raise RuntimeError("merge could not settle concurrent inserts")
        result.created += sql.insert_create_versions(cursor, ctx, now)
        sql.index_created(cursor, ctx)
        changed = _with_places(ctx, changed)
        sql.apply_changes(cursor, ctx, changed, now)
        add_counts(cursor, _count_moves(ctx, before, changed))
        _record_conflicts(ctx, conflicts)
        sql.mark_staged(cursor, ctx, low, high, [row[0] for row in conflicts])
        cursor.execute("DROP TABLE IF EXISTS merge_stage")
        cursor.execute("DROP TABLE IF EXISTS merge_changed")
    return result


def _with_places(ctx: sql.ChunkContext, changed: list[tuple]) -> list[tuple]:
    """The changed rows with their new place: derived from the merged values, column-wise, for the rows flagged as
    moved (their placement items changed); None (the place stays) for the others."""
    moved = [row for row in changed if row[-1]]
    townships = [row[6] for row in moved]
    # A village's rows stay in the village (its floor), as intake placed them.
    places = iter(derive_places(ctx.placer, townships, [row[2] for row in moved], ctx.placement_keys, ctx.floor))
    return [(*row[:-1], next(places) if row[-1] else None) for row in changed]


def _count_moves(ctx: sql.ChunkContext, before: dict, changed: list[tuple]) -> Counter:
    """The board's count deltas of the changed records, as apply_changes writes them: each is active afterwards, in
    the row's township, at its new place or the place it had; `before`: {record id: (township, place, active)}."""
    sub, pairs = ctx.subcategory.pk, []
    for row in changed:
        region, place, active = before[row[1]]
        pairs.append(((region, place, sub) if active else None, (row[6], row[7] or place, sub)))
    return moves(pairs)


def _chunk_end(batch: Batch, low: int, chunk_size: int) -> int | None:
    """The staged row id closing the next chunk after `low`, or None when every row has been processed."""
    rows = (
        StagedRow.objects.unrestricted("merge: the rows of the batch being merged")
        .filter(batch=batch, id__gt=low)
        .order_by("id")
        .values_list("id", flat=True)
    )
    end = rows[chunk_size - 1 : chunk_size].first()
    return end if end is not None else rows.order_by("-id").first()


def _start_run(batch: Batch, acting_user) -> MergeRun:
    with transaction.atomic():
        run, _ = (
            MergeRun.objects.unrestricted("merge: the batch's own checkpoint")
            .select_for_update()
            .get_or_create(batch=batch, defaults={"acting_user": acting_user})
        )
        if run.status == MergeRunStatus.REVERTED:
            run.status, run.last_row, run.error = MergeRunStatus.RUNNING, 0, ""
            run.created = run.updated = run.unchanged = run.conflicts = 0
            run.acting_user, run.finished_at = acting_user, None
            run.save()
        elif run.status == MergeRunStatus.FAILED:
            MergeRun.objects.unrestricted("merge: the batch's own checkpoint").filter(pk=run.pk).update(
                status=MergeRunStatus.RUNNING, error=""
            )
        Batch.objects.unrestricted("merge: the batch being merged").filter(pk=batch.pk).update(
            status=BatchStatus.MERGING
        )
    return run


def _finish_run(batch: Batch, run_id: int, started: float, acting_user) -> MergeRun:
    with transaction.atomic():
        run = MergeRun.objects.unrestricted("merge: the batch's own checkpoint").select_for_update().get(pk=run_id)
        counts = {k: getattr(run, k) for k in ("created", "updated", "unchanged", "conflicts")}
        if run.status != MergeRunStatus.FINISHED:
            StagedRow.objects.unrestricted("merge: the rows of the batch being merged").filter(
                batch=batch, merge_state=MergeState.PENDING
            ).update(merge_state=MergeState.SKIPPED)
            run.status, run.finished_at = MergeRunStatus.FINISHED, timezone.now()
            run.seconds = (run.seconds or 0) + time.monotonic() - started
            run.save()
            # Written once, by the run that finished the merge (a resumed run included; merging again writes none).
            record_event(AuditVerb.MERGE, actor=acting_user, obj=batch, region=batch.region_id, label=str(batch),
                         before={"status": batch.status}, after={"status": BatchStatus.MERGED, **counts})  # fmt: skip
        Batch.objects.unrestricted("merge: the batch being merged").filter(pk=batch.pk).update(
            status=BatchStatus.MERGED, **counts
        )
    return run


def merge_batch(batch: Batch, *, acting_user, authorised: bool = False, chunk_size: int | None = None,
                _crash_after_chunks: int | None = None):  # fmt: skip
    """Merge the valid, pending rows of `batch` into the base database; returns the batch's MergeResult.

    acting_user: the approving officer (their region must cover the batch's) or None for the system (CLI, tasks).
    authorised: the caller decided already (a 数源部门's roster merging directly, collection/sinking.py); the
    acting user is only who merged.

    Chunked, each chunk one transaction with the checkpoint; re-running after a crash resumes and finishes exactly
    once, and merging a merged batch again returns its counts without writing. `_crash_after_chunks` is a test-only
    hook: after that many committed chunks the next one raises SimulatedCrash after its writes (rolled back).
    """
    if (
        acting_user is not None
        and not authorised
        and not can(acting_user, Action.REVIEW, batch.region_id, batch.subcategory_code)
    ):
        raise PermissionDenied("您没有将该批次入库的权限。")
    if batch.status not in MERGEABLE_STATUSES:
        raise ValidationError(f"批次状态为“{batch.get_status_display()}”，不能入库。")
    started, chunk_size = time.monotonic(), chunk_size or settings.MERGE_CHUNK_ROWS
    subcategory = Subcategory.objects.select_related("category__domain").get(pk=batch.subcategory_id)
    spec, user_id = build_table_spec(subcategory.code), getattr(acting_user, "pk", None)
    pointers = tuple((item.key, item.reference_kind) for item in spec.pointing_items())
    ctx = sql.ChunkContext(batch, subcategory, subcategory_kind(subcategory), user_id, sql.Dialect(),
                           spec.display_name_keys, spec.placement_keys, Placer(), village_floor(batch),
                           pointers=pointers)  # fmt: skip
    run = _start_run(batch, acting_user)
    try:
        _merge_chunks(batch, ctx, run, chunk_size, _crash_after_chunks)
    except Exception as exc:
        MergeRun.objects.unrestricted("merge: the batch's own checkpoint").filter(pk=run.pk).update(
            status=MergeRunStatus.FAILED, error=repr(exc)[:2000]
        )
        raise
    run = _finish_run(batch, run.pk, started, acting_user)
    batch.refresh_from_db()
    if run.created or run.updated:
        compact_counts(batch.region_id)  # the chunks' count rows of the batch's region, one per group again
        notify_subscribers()
    return MergeResult(run.created, run.updated, run.unchanged, run.conflicts)


def village_floor(batch: Batch) -> str | None:
    """The village of a village collector's batch (Batch.owner below its township), None for any other batch."""
    owner = batch.owner_id or ""
    return owner if len(owner) == VILLAGE_LENGTH and owner.startswith(batch.region_id) else None


def _merge_chunks(batch: Batch, ctx: sql.ChunkContext, run: MergeRun, chunk_size: int, crash_after: int | None) -> None:
    done = 0
    while True:
        with transaction.atomic():
            run = MergeRun.objects.unrestricted("merge: the batch's own checkpoint").select_for_update().get(pk=run.pk)
            end = None if run.status == MergeRunStatus.FINISHED else _chunk_end(batch, run.last_row, chunk_size)
            if end is None:
                return
            leases.check(batch.pk)  # a merge whose lease was taken over stops here; the new owner goes on
            chunk = _merge_chunk(ctx, run.last_row, end)
            for name in ("created", "updated", "unchanged", "conflicts"):
                setattr(run, name, getattr(run, name) + getattr(chunk, name))
            run.last_row = end
            run.save(update_fields=["last_row", "created", "updated", "unchanged", "conflicts"])
            done += 1
            if crash_after is not None and done > crash_after:
                raise SimulatedCrash(f"simulated crash in chunk {done}")
