"""Every background job of the collection app: thin wrappers around its domain functions (django-tasks, db_worker by
default). The domain modules import these to enqueue, so the wrappers import the domain functions when they run."""

from django.contrib.auth import get_user_model
from django_tasks import task

from .choices import BatchStatus
from .models import Batch


@task()
def verify_batch_task(batch_id: int) -> dict:
    """Verify one stored batch (re-running a batch whose worker died starts it over, idempotently).

    Queued again by the lease sweep, so it may find the batch verified already or leased to a living process:
    then it does nothing."""
    from .intake import verify_batch
    from .leases import LeaseBusy

    batch = (
        Batch.objects.unrestricted("background task: the queued batch").select_related("subcategory").get(pk=batch_id)
    )
    if batch.status not in (BatchStatus.UPLOADED, BatchStatus.VERIFYING):
        return {"batch": batch.pk, "status": batch.status, "skipped": "not waiting for verification"}
    try:
        verify_batch(batch)
    except LeaseBusy:
        return {"batch": batch.pk, "status": batch.status, "skipped": "verified by another process"}
    return {"batch": batch.pk, "status": batch.status, "rows": batch.rows, "invalid": batch.invalid}


@task()
def build_report_task(batch_id: int, invalid_only: bool = False) -> dict:
    """Build and cache the annotated report (or the invalid rows) of a verified batch: large batches, after
    verification and when a download finds no report for the batch as it is now (collection.report)."""
    from .report_files import cached_batch_report

    batch = (
        Batch.objects.unrestricted("background task: the queued batch").select_related("subcategory").get(pk=batch_id)
    )
    data = cached_batch_report(batch, invalid_only=invalid_only)
    return {"batch": batch.pk, "bytes": len(data)}


@task()
def merge_approved_batch_task(batch_id: int, user_id: int | None) -> dict:
    """Background merge of an approved batch (thin wrapper; merge_batch checks the user's right again). Queued
    again by the lease sweep: a batch no longer 入库中, or leased to a living process, is left alone."""
    from .leases import LeaseBusy
    from .review import merge_approved

    batch = Batch.objects.unrestricted("background task: the queued batch").get(pk=batch_id)
    if batch.status != BatchStatus.MERGING:
        return {"batch": batch.pk, "status": batch.status, "skipped": "not merging"}
    # A user deleted since the approval merges as the system (None); merge_batch checks a living user's right again.
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        return merge_approved(batch, acting_user=user).as_dict()
    except LeaseBusy:
        return {"batch": batch.pk, "status": batch.status, "skipped": "merged by another process"}
