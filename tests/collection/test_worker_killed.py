"""kill -9 of the worker in the middle of a verification and again in the middle of its merge: once a worker is back,
the batch finishes by itself, with exactly what an uninterrupted run stores (issue 11, "Done when").

Real processes: `manage.py worker` (db_worker plus the lease sweep) runs against the test database with a 3-second
lease and chunks of 100 rows, is frozen (SIGSTOP) at a chunk boundary it has passed, and killed with SIGKILL.
PostgreSQL only: the worker processes must share the test database with this one.
"""

import datetime
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from basedb.choices import MergeRunStatus
from basedb.models import Entity, MergeRun, Record, RecordVersion
from collection import intake, review
from collection.choices import BatchStatus
from collection.models import Batch
from tests.collection.batch_fixtures import P0101_HEADERS, media, write_xlsx  # noqa: F401 (fixtures)
from tests.collection.test_intake import snapshot
from tests.conftest import TOWNSHIP_A

ROOT = Path(__file__).resolve().parents[2]
ROWS, CHUNK, LEASE = 3000, 100, 3
pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="PostgreSQL only: the killed and the returning worker are separate processes sharing the test "
        "database, which SQLite's test database (in memory or locked by this process) cannot be",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "regions", "media"),
]
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(born: datetime.date, order: int) -> str:
    body = f"370602{born:%Y%m%d}{order:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def person_rows(n: int, seed: int = 11) -> list[list]:
    """n P0101 rows, one in twenty with a wrong check digit (an error the batch keeps), the rest valid and distinct."""
    rng, rows = random.Random(seed), []
    for i in range(n):
        born = datetime.date(1940, 1, 1) + datetime.timedelta(days=i * 7 % 29_000)
        number = id_number(born, i % 1000)
        if i % 20 == 7:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        sex = "男" if int(number[16]) % 2 else "女"
        rows.append([f"张{rng.choice('伟芳娜秀英敏静丽强磊')}{i}", number, sex, "汉族", born.isoformat(),
                     f"139{i:08d}", f"芝罘区东山路{i % 300}号", f"东山路{i % 300}号{i % 6 + 1}单元"])  # fmt: skip
    return rows


class Worker:
    """One `manage.py worker` process against the test database, in its own session (so it can be frozen and
    killed with everything it started)."""

    def __init__(self, log: Path):
        db = connection.settings_dict
        url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env = {**os.environ, "DATABASE_URL": f"{url}/{db['NAME']}", "MEDIA_ROOT": str(settings.MEDIA_ROOT),
               "BATCH_LEASE_SECONDS": str(LEASE), "INTAKE_CHUNK_ROWS": str(CHUNK), "MERGE_CHUNK_ROWS": str(CHUNK),
               "UPLOAD_INLINE_MAX_KB": "1"}  # fmt: skip
        env.pop("GRASSROOTS_PARENT_PID", None)
        self.log = log.open("ab")
        argv = [sys.executable, str(ROOT / "manage.py"), "worker"]
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip

    def freeze(self) -> None:
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start() -> Worker:
        started.append(Worker(tmp_path / "worker.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.kill()


def wait_until(condition, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")


def current(batch: Batch) -> Batch:
    return Batch.objects.unrestricted("test").get(pk=batch.pk)


def merged_state(batch: Batch) -> dict:
    """What a merge stored: the batch's counts and the base database's rows (each key once)."""
    batch = current(batch)
    entities = Entity.objects.unrestricted("test")
    return {
        "counts": (batch.created, batch.updated, batch.unchanged, batch.conflicts),
        "entities": entities.count(),
        "distinct keys": entities.values("kind", "key").distinct().count(),
        "records": Record.objects.unrestricted("test").count(),
        "versions": RecordVersion.objects.unrestricted("test").count(),
    }


def done(batch: Batch, running: str) -> Batch | None:
    """The batch once its run has ended and given its lease back."""
    return batch if batch.status != running and not batch.lease_owner else None


class Uninterrupted(Exception):
    """Raised to roll the uninterrupted reference run back once measured."""


def uninterrupted_run(path: Path, officer) -> tuple[tuple, dict]:
    """Verify and merge the file in this process without interruption, note what it stored, and roll it back."""
    found = {}
    try:
        with transaction.atomic():
            (batch,) = intake.create_batches(path, original_name=path.name, region_code=TOWNSHIP_A)
            found["staged"] = snapshot(intake.verify_batch(batch))
            review.approve_batch(batch, acting_user=officer, background=False)
            found["merged"] = merged_state(batch)
            raise Uninterrupted
    except Uninterrupted:
        pass
    return found["staged"], found["merged"]


def test_a_batch_whose_worker_is_killed_in_verification_and_in_merge_finishes_as_an_uninterrupted_run(
    tmp_path, settings, officer_a, workers
):
    settings.INTAKE_CHUNK_ROWS = settings.MERGE_CHUNK_ROWS = CHUNK
    path = write_xlsx(tmp_path / "户籍人口.xlsx", person_rows(ROWS), P0101_HEADERS)
    staged, merged = uninterrupted_run(path, officer_a)
    assert merged["entities"] == merged["distinct keys"] == merged["counts"][0] > ROWS * 0.9

    (batch,) = intake.create_batches(path, original_name=path.name, region_code=TOWNSHIP_A)
    intake.enqueue_verification(batch)
    worker = workers()
    wait_until(lambda: batch.staged_rows.count() >= 2 * CHUNK, 40, "verification under way")
    worker.freeze()
    stored = batch.staged_rows.count()
    worker.kill()
    assert current(batch).status == BatchStatus.VERIFYING and 0 < stored < ROWS  # killed in the middle

    worker = workers()  # the worker returns
    finished = wait_until(lambda: done(current(batch), BatchStatus.VERIFYING), 40, "verified")
    assert (finished.status, finished.rows, finished.lease_owner) == (BatchStatus.NEEDS_FIX, ROWS, "")
    assert snapshot(batch) == staged

    review.approve_batch(batch, acting_user=officer_a, background=True)  # merged by the returned worker
    run = MergeRun.objects.unrestricted("test")
    wait_until(lambda: run.filter(batch=batch, last_row__gt=0).exists(), 40, "merge under way")
    worker.freeze()
    at = run.get(batch=batch)
    worker.kill()
    assert current(batch).status == BatchStatus.MERGING and at.status != MergeRunStatus.FINISHED  # killed in the middle

    workers()
    finished = wait_until(lambda: done(current(batch), BatchStatus.MERGING), 40, "merged", interval=0.2)
    assert (finished.status, finished.lease_owner) == (BatchStatus.MERGED, "")
    assert merged_state(batch) == merged
