"""Background jobs of the sharing API: thin wrappers around sharing.webhooks (django-tasks)."""

from django_tasks import default_task_backend, task

from .webhooks import deliver, due_deliveries, scan_webhooks


@task()
def scan_webhooks_task() -> dict:
    """Cut new deliveries from the change feed for every live webhook and queue them."""
    deliveries = scan_webhooks()
    for delivery in deliveries:
        deliver_webhook_task.enqueue(delivery.pk)
    return {"deliveries": len(deliveries)}


def enqueue_webhook_scan() -> None:
    """Queue a scan of the change feed (basedb calls this after each committed change, see sharing/apps.py)."""
    scan_webhooks_task.enqueue()


@task()
def deliver_webhook_task(delivery_id: int) -> dict:
    """Attempt one delivery; on failure queue the retry after its backoff when the backend can defer."""
    delivery = deliver(delivery_id)
    if delivery.next_attempt_at and delivery.status == "pending" and default_task_backend.supports_defer:
        deliver_webhook_task.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    return {"delivery": delivery.pk, "status": delivery.status, "attempts": delivery.attempts}


def send_due() -> int:
    """Attempt every due delivery now (the dispatch command's loop; covers backends that cannot defer)."""
    count = 0
    for delivery_id in due_deliveries().values_list("pk", flat=True):
        deliver(delivery_id)
        count += 1
    return count
