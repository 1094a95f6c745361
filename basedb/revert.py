"""Reverting a merged batch: its creates are retired and its updates restored, from the records' history.

Every change made by the revert is itself a RecordVersion (note "撤销批次 N"), so history is never rewritten.
An item changed again by a later batch keeps the later value: reverting only undoes what is still the batch's.
Conflict resolutions that took the batch's values are undone too (values only: a record taken over by the batch's
township stays with it, the owner before is in the conflict row).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from collection.choices import BatchStatus, IssueRule, MergeState
from collection.models import Batch, BatchIssue, StagedRow
from collection.review import REVERTED_LOG, write_batch_log
from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb

from .choices import ConflictStatus, MergeRunStatus, RecordStatus, Resolution, VersionAction
from .history import lock_change_feed, notify_subscribers
from .models import Conflict, MergeRun, Record, RecordVersion
from .placement import placement_keys, refresh_places
from .summaries import add_counts, compact_counts, count_key, moves, refresh_links

REVERT_NOTE = "撤销批次"  # the note of every version a revert writes: "撤销批次 <id>"
UNDONE_ACTIONS = (VersionAction.CREATE, VersionAction.UPDATE, VersionAction.RESTORE, VersionAction.RESOLVE)


@dataclass
class RevertResult:
    retired: int = 0
    restored: int = 0


@dataclass
class RevertScope:
    """What reverting a batch touches: the whole batch, never one record (the confirmation page says so)."""

    rows: int  # the batch's data rows
    created: int  # records its merge created (they are retired)
    updated: int  # records its merge updated (their values are restored)

    @property
    def records(self) -> int:
        return self.created + self.updated


def revert_scope(batch: Batch) -> RevertScope | None:
    """The records a revert of `batch` would undo, from its merge run; None when it has no merge to revert."""
    run = MergeRun.objects.unrestricted("revert: the merge run of a batch the caller may review").filter(batch=batch)
    run = run.exclude(status=MergeRunStatus.REVERTED).first()
    if run is None or batch.status != BatchStatus.MERGED:
        return None
    return RevertScope(rows=batch.rows, created=run.created, updated=run.updated)


def revert_note(versions) -> dict | None:
    """When a record's newest version is a revert: the reverted batch, when and by whom (the record page's and the
    entity page's 已撤销 banner); None otherwise. `versions` newest first."""
    newest = next(iter(versions), None)
    if newest is None or not newest.note.startswith(REVERT_NOTE):
        return None
    batch_id = newest.note.removeprefix(REVERT_NOTE).strip()
    return {"batch_id": int(batch_id) if batch_id.isdigit() else None, "at": newest.created_at,
            "by": newest.acting_user, "retired": newest.action == VersionAction.RETIRE}  # fmt: skip


def _undo(record: Record, action: str, changes: dict) -> dict | None:
    """Apply the undo of one version to `record` in memory; returns the undo's changes, or None when nothing to do."""
    if action == VersionAction.CREATE:
        if record.status == RecordStatus.RETIRED:
            return None
        record.status = RecordStatus.RETIRED
        return {}
    undo = {}
    for item, (old, new) in changes.items():
        if record.values.get(item) == new:  # still the batch's value
            undo[item] = [new, old]
    record.values = {**record.values, **{item: old for item, (_new, old) in undo.items()}}
    if action == VersionAction.RESTORE:
        record.status = RecordStatus.RETIRED
    return undo if undo or action == VersionAction.RESTORE else None


def _close_conflicts(batch: Batch, acting_user) -> None:
    Conflict.objects.unrestricted("revert: the conflicts of the batch being reverted").filter(
        batch=batch, status=ConflictStatus.OPEN
    ).update(
        status=ConflictStatus.RESOLVED,
        resolution=Resolution.KEEP_EXISTING,
        resolved_by=acting_user,
        resolved_at=timezone.now(),
        note="批次已撤销",
    )
    BatchIssue.objects.unrestricted("revert: the issues of the batch being reverted").filter(
        batch=batch, rule=IssueRule.CONFLICT
    ).delete()


@transaction.atomic
def revert_batch(batch: Batch, *, acting_user) -> RevertResult:
    """Undo the merge of `batch`: retire its creates, restore its updates, close its open conflicts; the batch goes
    back to 待审核 and its rows to 待入库, so it can be merged again. acting_user None means the system (CLI)."""
    if acting_user is not None and not can(acting_user, Action.REVIEW, batch.region_id, batch.subcategory_code):
        raise PermissionDenied("您没有撤销该批次入库的权限。")
    run = (
        MergeRun.objects.unrestricted("revert: the merge run of the batch being reverted")
        .select_for_update()
        .filter(batch=batch)
        .first()
    )
    if run is None or run.status == MergeRunStatus.REVERTED:
        raise ValidationError("该批次没有可撤销的入库结果。")
    versions = list(
        RecordVersion.objects.unrestricted("revert: the versions the batch wrote")
        .filter(batch=batch, action__in=UNDONE_ACTIONS)
        .order_by("-id")
        .values_list("record_id", "action", "changes")
    )
    records = (
        Record.objects.unrestricted("revert: the records the batch changed")
        .select_for_update()
        .in_bulk({v[0] for v in versions})
    )
    result, history, now = RevertResult(), [], timezone.now()
    counted = {pk: count_key(record) for pk, record in records.items()}
    for record_id, action, changes in versions:  # newest first, so several versions of one record unwind in order
        record = records[record_id]
        undo = _undo(record, action, changes)
        if undo is None:
            continue
        record.version += 1
        record.updated_at = now
        retired = record.status == RecordStatus.RETIRED
        result.retired += retired
        result.restored += not retired
        history.append(
            RecordVersion(
                record=record,
                version=record.version,
                action=VersionAction.RETIRE if retired else VersionAction.UPDATE,
                changes=undo,
                subcategory_id=record.subcategory_id,
                region_id=record.region_id,
                acting_user=acting_user,
                note=f"{REVERT_NOTE} {batch.pk}",
            )
        )
    Record.objects.unrestricted("revert: the records the batch changed").bulk_update(
        records.values(), ["values", "status", "version", "updated_at"], batch_size=1000
    )
    with connection.cursor() as cursor:  # the board's counts of the records retired (placement moves the others)
        add_counts(cursor, moves((counted[pk], count_key(record)) for pk, record in records.items()))
    refresh_links(v.record_id for v in history if v.changes)
    grid_keys, address_keys = placement_keys()
    refresh_places(v.record_id for v in history if not set(v.changes).isdisjoint(grid_keys + address_keys))
    lock_change_feed()
    RecordVersion.objects.bulk_create(history, batch_size=2000)
    notify_subscribers()
    _close_conflicts(batch, acting_user)
    compact_counts(batch.region_id)
    StagedRow.objects.unrestricted("revert: the rows of the batch being reverted").filter(batch=batch).update(
        merge_state=MergeState.PENDING
    )
    run.status = MergeRunStatus.REVERTED
    run.save(update_fields=["status"])
    before = (
        Batch.objects.unrestricted("revert: the batch being reverted")
        .filter(pk=batch.pk)
        .values_list("status", flat=True)
        .first()
    )
    Batch.objects.unrestricted("revert: the batch being reverted").filter(pk=batch.pk).update(
        status=BatchStatus.PENDING_REVIEW, created=0, updated=0, unchanged=0, conflicts=0
    )
    write_batch_log(
        batch, acting_user=acting_user,
        message=f"{REVERTED_LOG}：{result.retired + result.restored} 条记录受影响（注销新增的 {result.retired} 条，"
        f"恢复更新的 {result.restored} 条），批次回到待审核",
    )  # fmt: skip
    record_event(
        AuditVerb.REVERT, actor=acting_user, obj=batch, region=batch.region_id, label=str(batch),
        before={"status": before, "created": run.created, "updated": run.updated},
        after={"status": BatchStatus.PENDING_REVIEW, "retired": result.retired, "restored": result.restored},
    )  # fmt: skip
    return result
