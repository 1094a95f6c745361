"""Background tasks on the RQ (Redis) backend: intake and merge run by two real worker processes give exactly the
results of the inline path, and a failed webhook delivery is retried through RQ's scheduler.

Redis is expected at TEST_REDIS_URL (default redis://127.0.0.1:6379/0): without it these tests are skipped locally
and fail under CI=true. Each test uses a Redis queue of its own, so parallel runs never take each other's jobs.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from redis import Redis
from redis.exceptions import RedisError

from basedb.models import Entity, Record, RecordVersion
from collection import intake, review
from collection.choices import BatchStatus
from collection.models import Batch, BatchIssue
from tests.collection.batch_fixtures import DATA, media  # noqa: F401 (a fixture)
from tests.conftest import TOWNSHIP_A

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WORKBOOKS = ("sample_multi_sheet.xlsx", "sample_p0101_messy.xlsx")  # three batches: P0101, P0102, P0101
TIMEOUT = 120


def unscoped(model):
    """Every row of a model, on purpose: the test compares whole tables."""
    rows = model.objects.all()
    return rows.unrestricted("test: compare whole tables") if hasattr(rows, "unrestricted") else rows


@pytest.fixture
def redis_url():
    try:
        Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except RedisError as exc:
        message = f"Redis at {REDIS_URL} is unreachable ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}: under CI=true the RQ tests must run, not be skipped")
        pytest.skip(f"{message}: start redis-server (or set TEST_REDIS_URL) to run the RQ tests")
    return REDIS_URL


@pytest.fixture
def rq_queue(redis_url, settings):
    """The platform's tasks go to a fresh Redis queue for this test; its keys are removed afterwards."""
    name = f"grassroots-test-{uuid.uuid4().hex[:12]}"
    settings.TASKS = {
        "default": {
            "BACKEND": "grassroots.tasks_rq.RQBackend",
            "QUEUES": ["default"],
            "OPTIONS": {"REDIS_QUEUES": {"default": name}},
        }
    }
    settings.RQ_QUEUES = {name: {"URL": redis_url, "DEFAULT_TIMEOUT": 600}}
    yield name
    remove_queue(Redis.from_url(redis_url), name)


def remove_queue(redis: Redis, name: str) -> None:
    from rq import Queue

    queue = Queue(name, connection=redis)
    registries = (queue.started_job_registry, queue.finished_job_registry, queue.failed_job_registry,
                  queue.deferred_job_registry, queue.scheduled_job_registry, queue.canceled_job_registry)  # fmt: skip
    for job_id in {*queue.get_job_ids(), *(i for r in registries for i in r.get_job_ids())}:
        redis.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    queue.delete(delete_jobs=True)  # also takes it out of RQ's set of queues
    for key in redis.scan_iter(f"rq:*{name}*"):
        redis.delete(key)


def database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def rq_workers(rq_queue, redis_url, request, tmp_path):
    """Two `manage.py worker` processes on the RQ backend, against this test's PostgreSQL database and files."""
    from rq import Queue, Worker

    media_root = request.getfixturevalue("media")
    env = os.environ | {
        "DATABASE_URL": database_url(), "TASKS_BACKEND": "django_tasks_rq.RQBackend", "TASKS_RQ_URL": redis_url,
        "TASKS_RQ_QUEUE": rq_queue, "MEDIA_ROOT": str(media_root), "UPLOAD_INLINE_MAX_KB": "0",
    }  # fmt: skip
    names = [f"{rq_queue}-{n}" for n in (1, 2)]
    logs = [tmp_path / f"{name}.log" for name in names]
    command = [sys.executable, "manage.py", "worker", "--name"]
    workers = [
        subprocess.Popen([*command, name], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        for name, log in zip(names, logs, strict=True)
    ]
    try:
        redis, queue = Redis.from_url(redis_url), Queue(rq_queue, connection=Redis.from_url(redis_url))
        wait_for(lambda: len(Worker.all(connection=redis, queue=queue)) == 2, "both workers listening", logs)
        yield names, queue, logs
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)  # finish the current job, then exit
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def wait_for(condition, what: str, logs=(), timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tails}")
        time.sleep(0.2)


def upload(user) -> list[Batch]:
    batches = []
    for name in WORKBOOKS:
        file = SimpleUploadedFile(name, (DATA / name).read_bytes())
        batches += intake.submit_upload(file, original_name=name, region_code=TOWNSHIP_A, user=user)
    return batches


def outcome() -> dict:
    """Everything the intake and the merge produced, free of ids and times."""
    batch_fields = ("original_name", "sheet_name", "subcategory__code", "status", "rows", "valid", "invalid",
                    "duplicates_in_file", "created", "updated", "unchanged", "conflicts")  # fmt: skip
    issue_fields = ("batch__original_name", "batch__sheet_name", "row", "item", "rule", "severity")
    record_fields = ("entity__kind", "entity__key", "subcategory__code", "region_id", "values", "status")
    return {
        "batches": sorted(unscoped(Batch).values_list(*batch_fields)),
        "issues": sorted(unscoped(BatchIssue).values_list(*issue_fields)),
        "records": sorted((*r[:4], sorted(r[4].items()), r[5]) for r in unscoped(Record).values_list(*record_fields)),
        "counts": [unscoped(model).count() for model in (Entity, Record, RecordVersion)],
    }


def inline_outcome(collector, officer, settings) -> dict:
    """The same uploads verified and merged inline, in a transaction that is rolled back."""
    settings.UPLOAD_INLINE_MAX_BYTES = 10 * 1024 * 1024
    with transaction.atomic():
        for batch in upload(collector):
            review.approve_batch(batch, acting_user=officer, background=False)
        result = outcome()
        transaction.set_rollback(True)
    return result


def statuses() -> set[str]:
    return set(unscoped(Batch).values_list("status", flat=True))


# A real transaction: the workers are other processes, which see only committed rows.
@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="RQ workers run in other processes, which cannot see SQLite's in-memory test database",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("catalog")
def test_two_rq_workers_verify_and_merge_uploads_exactly_as_the_inline_path(
    collector_a, officer_a, rq_workers, settings
):
    names, queue, logs = rq_workers
    expected = inline_outcome(collector_a, officer_a, settings)
    assert expected["counts"][1] > 100 and {b[3] for b in expected["batches"]} == {BatchStatus.MERGED}

    settings.UPLOAD_INLINE_MAX_BYTES = 0
    batches = upload(collector_a)
    assert all(b.status == BatchStatus.UPLOADED and b.task_id for b in batches), "queued, not verified inline"
    wait_for(lambda: not statuses() & {BatchStatus.UPLOADED, BatchStatus.VERIFYING}, "verification", logs)
    for batch in batches:
        assert review.approve_batch(batch, acting_user=officer_a, background=True) is None
    wait_for(lambda: statuses() == {BatchStatus.MERGED}, "the merges", logs)
    wait_for(lambda: queue.count == 0 and queue.started_job_registry.count == 0, "the queue to drain", logs)

    assert outcome() == expected
    assert queue.failed_job_registry.get_job_ids() == []
    ran_on = {result.worker_name for job_id in queue.finished_job_registry.get_job_ids()
              for result in queue.fetch_job(job_id).results()}  # fmt: skip
    assert ran_on == set(names), "both workers took jobs"


def test_a_failed_webhook_delivery_is_retried_through_the_rq_scheduler_at_its_backoff_time(
    rq_queue, redis_url, regions
):
    from rq import Queue

    from sharing.models import ApiClient, Webhook, WebhookDelivery
    from sharing.tasks import deliver_webhook_task

    client = ApiClient.objects.create(name="部门甲", token_prefix="t", token_hash="h", region_id="3706")
    webhook = Webhook.objects.create(client=client, url="http://127.0.0.1:9/closed", secret="s")
    delivery = WebhookDelivery.objects.create(webhook=webhook, payload={}, first_version=1, last_version=1)
    result = deliver_webhook_task.call(delivery.pk)
    delivery.refresh_from_db()
    assert (result["status"], delivery.status, delivery.attempts) == ("pending", "pending", 1)
    queue = Queue(rq_queue, connection=Redis.from_url(redis_url))
    [job_id] = queue.scheduled_job_registry.get_job_ids()
    job = queue.fetch_job(job_id)
    assert (job.func_name, job.args) == ("sharing.tasks.deliver_webhook_task", (delivery.pk,))
    scheduled = queue.scheduled_job_registry.get_scheduled_time(job)
    assert abs((scheduled - delivery.next_attempt_at).total_seconds()) < 1


def test_manage_py_worker_is_the_command_that_picks_the_worker_of_the_backend():
    from django.core.management import get_commands

    assert get_commands()["worker"] == "grassroots", "another app's `worker` command shadows grassroots'"


def test_the_worker_command_runs_the_worker_of_the_configured_backend(settings):
    from grassroots.management.commands.worker import worker_arguments

    settings.TASKS_BACKEND = settings.TASKS_DB_BACKEND
    assert worker_arguments("w1") == ["db_worker", "--queue-name", "default", "--worker-id", "w1"]
    settings.TASKS_BACKEND, settings.TASKS_RQ_QUEUE = settings.TASKS_RQ_BACKEND, "q1"
    assert worker_arguments() == ["rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", "q1"]


def test_tasks_backend_rq_takes_its_redis_url_queue_and_job_timeout_from_the_environment():
    code = (
        "from grassroots import settings as s; "
        "print(s.TASKS['default']['OPTIONS'], s.RQ_QUEUES, 'django_rq' in s.INSTALLED_APPS)"
    )
    env = os.environ | {
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "TASKS_RQ_QUEUE": "city",
        "REDIS_URL": "redis://r:6379/2",
    }
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == (
        "{'REDIS_QUEUES': {'default': 'city'}} {'city': {'URL': 'redis://r:6379/2', 'DEFAULT_TIMEOUT': 21600}} True"
    ), done.stderr
