"""Background jobs of the intake: thin wrappers around collection.services (django-tasks, db_worker by default)."""

from django_tasks import task

from .models import Batch


@task()
def verify_batch_task(batch_id: int) -> dict:
    """Verify one stored batch (re-running a batch whose worker died starts it over, idempotently)."""
    from .services import verify_batch

    batch = Batch.objects.select_related("subcategory").get(pk=batch_id)
    verify_batch(batch)
    return {"batch": batch.pk, "status": batch.status, "rows": batch.rows, "invalid": batch.invalid}


@task()
def build_report_task(batch_id: int) -> dict:
    """Build and cache the annotated report of a verified batch (large batches, after verification)."""
    from .report import cached_batch_report

    batch = Batch.objects.select_related("subcategory").get(pk=batch_id)
    data = cached_batch_report(batch)
    return {"batch": batch.pk, "bytes": len(data)}
