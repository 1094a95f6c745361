"""Every background job of the collection app: thin wrappers around its domain functions (django-tasks, db_worker by
default). The domain modules import these to enqueue, so the wrappers import the domain functions when they run."""

from django.contrib.auth import get_user_model
from django_tasks import task

from .models import Batch


@task()
def verify_batch_task(batch_id: int) -> dict:
    """Verify one stored batch (re-running a batch whose worker died starts it over, idempotently)."""
    from .intake import verify_batch

    batch = (
        Batch.objects.unrestricted("background task: the queued batch").select_related("subcategory").get(pk=batch_id)
    )
    verify_batch(batch)
    return {"batch": batch.pk, "status": batch.status, "rows": batch.rows, "invalid": batch.invalid}


@task()
def build_report_task(batch_id: int) -> dict:
    """Build and cache the annotated report of a verified batch (large batches, after verification)."""
    from .report import cached_batch_report

    batch = (
        Batch.objects.unrestricted("background task: the queued batch").select_related("subcategory").get(pk=batch_id)
    )
    data = cached_batch_report(batch)
    return {"batch": batch.pk, "bytes": len(data)}


@task()
def merge_approved_batch_task(batch_id: int, user_id: int | None) -> dict:
    """Background merge of an approved batch (thin wrapper; merge_batch checks the user's right again)."""
    from .review import merge_approved

    batch = Batch.objects.unrestricted("background task: the queued batch").get(pk=batch_id)
    # A user deleted since the approval merges as the system (None); merge_batch checks a living user's right again.
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return merge_approved(batch, acting_user=user).as_dict()
