"""`manage.py worker`: the background worker of the configured task backend (db_worker or RQ's rqworker).

Started by `serve`, it exits when `serve` is gone (grassroots/lifeline.py).
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from grassroots.lifeline import watch_parent


class Command(BaseCommand):
    help = "Run the background worker of TASKS_BACKEND: db_worker (database, the default) or rqworker (Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--name", default="", help="worker name in logs and task results (default: generated)")

    def handle(self, *args, **options):
        watch_parent()
        # Every worker also sweeps: batches whose verifying or merging process died are queued again once their
        # lease has expired (collection/leases.py).
        from collection.leases import start_sweeper

        start_sweeper()
        call_command(*worker_arguments(options["name"]))


def worker_arguments(name: str = "") -> list[str]:
    """The management command and options that run tasks for the configured backend."""
    if settings.TASKS_BACKEND == settings.TASKS_RQ_BACKEND:
        # --with-scheduler: one of the workers moves deferred tasks (webhook retries) onto the queue when due.
        command = ["rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", settings.TASKS_RQ_QUEUE]
        return command + (["--name", name] if name else [])
    if settings.TASKS_BACKEND == settings.TASKS_DB_BACKEND:
        return ["db_worker", "--queue-name", "default"] + (["--worker-id", name] if name else [])
    raise CommandError(f"TASKS_BACKEND={settings.TASKS_BACKEND} 没有独立的后台任务进程（可用数据库或 RQ 后端）")
