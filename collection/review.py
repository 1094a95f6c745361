"""The review workflow: collectors resubmit returned batches, data officers preview, approve or return them.

Every action is one function taking `acting_user=`; it checks the user's region right through regions.access, changes
the batch and writes an audit entry (Django's admin LogEntry, shown on the review page as the batch's review
history). Approving merges the batch's valid rows through the base database (collection.handoff); rows with errors
are never merged and stay in the batch (downloadable as 仅下载有误的行 for the township to fix and upload again).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb

from . import leases
from .choices import BatchStatus
from .handoff import base_database
from .models import Batch
from .tasks import merge_approved_batch_task

# Batches an officer may approve or return: verified, not yet merged (待修正 batches merge their valid rows only).
REVIEWABLE_STATUSES = frozenset({BatchStatus.PENDING_REVIEW, BatchStatus.NEEDS_FIX})
# Approving again a batch left 入库中 (a worker died) resumes its merge, which is idempotent.
APPROVABLE_STATUSES = REVIEWABLE_STATUSES | {BatchStatus.MERGING}
APPROVE_INLINE_MAX_ROWS = 20_000  # larger batches are merged by the background worker
MAX_REASON = 2000
REVERTED_LOG = "撤销入库"  # the review-history line of a revert (basedb.revert) begins so


@dataclass
class BulkResult:
    """What a bulk action did: the batches it changed and, for the others, why not (Chinese message)."""

    done: list[Batch] = field(default_factory=list)
    refused: list[tuple[Batch, str]] = field(default_factory=list)


def _audit(batch: Batch, user, message: str) -> None:
    """One line of the batch's review history."""
    if user is None:
        return
    LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(Batch),
        object_id=str(batch.pk),
        object_repr=str(batch)[:200],
        action_flag=CHANGE,
        change_message=message,
    )


def last_revert(batch: Batch) -> LogEntry | None:
    """The revert line of the batch's review history when it is the newest line (the batch was reverted after its
    last merge and nothing happened since), else None."""
    content_type = ContentType.objects.get_for_model(Batch)
    last = (
        LogEntry.objects.filter(content_type=content_type, object_id=str(batch.pk))
        .select_related("user")
        .order_by("-action_time", "-id")
        .first()
    )
    return last if last is not None and last.change_message.startswith(REVERTED_LOG) else None


def write_batch_log(batch: Batch, *, acting_user, message: str) -> None:
    """One line of the batch's review history written by another app's action (basedb's revert); nothing for the
    system (the command line and workers are in the audit trail)."""
    _audit(batch, acting_user, message)


def _event(verb: str, batch: Batch, user, before: str | None, after: dict, note: str = "") -> None:
    """The batch's event in the platform's audit trail (regions.audit)."""
    record_event(
        verb, actor=user, obj=batch, region=batch.region_id, label=str(batch),
        before={"status": before} if before else None, after=after, note=note,
    )  # fmt: skip


def review_history(batch: Batch) -> list[LogEntry]:
    """The batch's review history, oldest first (submissions, returns, approvals)."""
    content_type = ContentType.objects.get_for_model(Batch)
    return list(
        LogEntry.objects.filter(content_type=content_type, object_id=str(batch.pk))
        .select_related("user")
        .order_by("action_time", "id")
    )


def _require(user, action: str, batch: Batch, message: str) -> None:
    if not can(user, action, batch.owner_id, batch.subcategory_code):
        raise PermissionDenied(message)


def _require_reviewable(batch: Batch) -> None:
    if batch.status not in REVIEWABLE_STATUSES:
        raise ValidationError(f"批次 {batch.pk} 当前状态为“{batch.get_status_display()}”，不能审核。")


@transaction.atomic
def submit_batch(batch: Batch, *, acting_user) -> Batch:
    """A collector of the township resubmits a returned batch after fixing it: back to 待修正 or 待审核."""
    batch = (
        Batch.objects.unrestricted("review: lock the batch the caller authorised").select_for_update().get(pk=batch.pk)
    )
    _require(acting_user, Action.UPLOAD, batch, "只有本乡镇（街道）的采集员可以重新提交该批次。")
    if batch.status != BatchStatus.RETURNED:
        raise ValidationError(f"批次当前状态为“{batch.get_status_display()}”，无需重新提交。")
    batch.status = BatchStatus.NEEDS_FIX if batch.invalid else BatchStatus.PENDING_REVIEW
    batch.save(update_fields=["status", "updated_at"])
    _audit(batch, acting_user, f"重新提交审核（{batch.get_status_display()}）")
    _event(AuditVerb.RESUBMIT, batch, acting_user, BatchStatus.RETURNED, {"status": batch.status})
    return batch


def preview_approval(batch: Batch, *, acting_user):
    """Dry run of approving: what the merge would create, update, leave unchanged or raise as conflicts. No writes."""
    _require(acting_user, Action.REVIEW, batch, "您没有审核该批次的权限。")
    _require_reviewable(batch)
    return base_database().preview_batch(batch)


def approval_preview(batch: Batch, *, acting_user, page=1):
    """入库预览: counts, the updates item by item (a page of them), the conflicting people and what happens to the
    rows with errors, for the officer to read before confirming (basedb.preview). No writes."""
    _require(acting_user, Action.REVIEW, batch, "您没有审核该批次的权限。")
    _require_reviewable(batch)
    return base_database().approval_preview(batch, page=page)


def approve_batch(batch: Batch, *, acting_user, background: bool | None = None):
    """Approve: merge the batch's valid rows into the base database (its merge_batch, chunked and resumable);
    returns its MergeResult. Rows with errors are not merged and stay in the batch.

    A batch of more than APPROVE_INLINE_MAX_ROWS valid rows (or `background=True`) is marked 入库中 and merged by the
    background worker instead; None is returned then. Approving a batch left 入库中 by a dead worker resumes it.
    """
    batch = Batch.objects.unrestricted("review: reread the batch the caller authorised").get(pk=batch.pk)
    _require(acting_user, Action.REVIEW, batch, "您没有审核该批次的权限。")
    if batch.status not in APPROVABLE_STATUSES:
        _require_reviewable(batch)
    if batch.status == BatchStatus.MERGING and not leases.expired(batch):
        raise ValidationError("本批次正在后台入库，请稍候刷新本页查看结果。")
    if background is None:
        background = batch.valid > APPROVE_INLINE_MAX_ROWS
    if background:
        _queue_merge(batch, acting_user)
        return None
    try:
        result = merge_approved(batch, acting_user=acting_user)
    except leases.LeaseBusy:
        raise ValidationError("本批次正在后台入库，请稍候刷新本页查看结果。") from None
    counts = {name: getattr(result, name) for name in ("created", "updated", "unchanged", "conflicts")}
    _event(AuditVerb.APPROVE, batch, acting_user, batch.status, {"status": BatchStatus.MERGED, **counts})
    return result


def merge_approved(batch: Batch, *, acting_user):
    """Merge an approved batch now and write the approval to its review history; returns the MergeResult.

    Holds the batch's lease (LeaseBusy when a living process merges it): a merge cut short is resumed by a worker
    for the same officer (Batch.merge_by) once the lease has expired."""
    Batch.objects.unrestricted("merge of a batch the caller may merge").filter(pk=batch.pk).update(merge_by=acting_user)
    with leases.leased(batch.pk, "merge"):
        result = base_database().merge_batch(batch, acting_user=acting_user)
    left = f"，{batch.invalid} 行有误未入库" if batch.invalid else ""
    _audit(
        batch,
        acting_user,
        f"审核通过并入库：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
        f"冲突 {result.conflicts}{left}",
    )
    return result


@transaction.atomic
def _queue_merge(batch: Batch, acting_user) -> None:
    batch = (
        Batch.objects.unrestricted("review: lock the batch the caller authorised").select_for_update().get(pk=batch.pk)
    )
    if batch.status not in APPROVABLE_STATUSES:
        _require_reviewable(batch)
    before = batch.status
    if batch.status == BatchStatus.MERGING and not leases.expired(batch):
        raise ValidationError("本批次正在后台入库，请稍候刷新本页查看结果。")
    # Leased as queued: the sweep leaves the batch to this task unless no worker has started it within two leases.
    batch.status, batch.merge_by, batch.lease_owner = BatchStatus.MERGING, acting_user, leases.QUEUED
    batch.lease_expires = timezone.now() + timedelta(seconds=2 * leases.lease_seconds())
    batch.save(update_fields=["status", "merge_by", "lease_owner", "lease_expires", "updated_at"])
    _audit(batch, acting_user, "审核通过，后台入库中")
    _event(AuditVerb.APPROVE, batch, acting_user, before, {"status": batch.status})
    user_id = getattr(acting_user, "pk", None)  # task arguments are stored as JSON: the id, not the user
    transaction.on_commit(lambda: merge_approved_batch_task.enqueue(batch.pk, user_id))


@transaction.atomic
def return_batch(batch: Batch, *, acting_user, reason: str) -> Batch:
    """Return a batch to its township with a reason; its rows stay for fixing, the annotated workbook explains them."""
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise ValidationError("退回时须填写退回原因。")
    batch = (
        Batch.objects.unrestricted("review: lock the batch the caller authorised").select_for_update().get(pk=batch.pk)
    )
    _require(acting_user, Action.REVIEW, batch, "您没有审核该批次的权限。")
    _require_reviewable(batch)
    before = batch.status
    batch.status, batch.return_reason = BatchStatus.RETURNED, reason
    batch.save(update_fields=["status", "return_reason", "updated_at"])
    _audit(batch, acting_user, f"退回：{reason}")
    _event(AuditVerb.RETURN, batch, acting_user, before, {"status": batch.status}, note=reason)
    return batch


def _bulk(batches, action) -> BulkResult:
    result = BulkResult()
    for batch in batches:
        try:
            action(batch)
        except (PermissionDenied, ValidationError) as exc:
            result.refused.append((batch, "；".join(getattr(exc, "messages", [str(exc)]))))
        else:
            result.done.append(batch)
    return result


def bulk_approve(batches, *, acting_user) -> BulkResult:
    """Approve several batches, each in its own merge; a batch that cannot be approved is reported, not fatal."""
    return _bulk(batches, lambda b: approve_batch(b, acting_user=acting_user))


def bulk_return(batches, *, acting_user, reason: str) -> BulkResult:
    """Return several batches with the same reason."""
    if not (reason or "").strip():
        raise ValidationError("退回时须填写退回原因。")
    return _bulk(batches, lambda b: return_batch(b, acting_user=acting_user, reason=reason))
