"""Leases of running batches (collection/leases.py): one process works on a batch at a time, a batch whose process
died is taken over once its lease expired, and the takeover ends exactly as an uninterrupted run."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from collection import intake, leases
from collection.choices import BatchStatus
from collection.models import Batch
from tests.collection.batch_fixtures import DATA, media  # noqa: F401 (fixtures)
from tests.collection.test_intake import MESSY, snapshot, verified

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")


def left_by_a_dead_worker(batch: Batch, status: str, **fields) -> None:
    """The state a kill -9 leaves: the status of the run, its lease not renewed since it expired a second ago."""
    expired = timezone.now() - timedelta(seconds=1)
    batches = Batch.objects.unrestricted("test").filter(pk=batch.pk)
    batches.update(status=status, lease_owner="verify:gone:1:x", lease_expires=expired, **fields)


def test_a_living_lease_cannot_be_taken_and_an_expired_one_can():
    batch = verified(MESSY)
    assert leases.take(batch.pk, "first")
    assert not leases.take(batch.pk, "second")
    Batch.objects.unrestricted("test").filter(pk=batch.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))
    assert leases.take(batch.pk, "second")
    assert not leases.renew(batch.pk, "first")


def test_a_run_whose_lease_was_taken_over_stops_at_its_next_chunk():
    batch = verified(MESSY)
    with pytest.raises(leases.LeaseLost), leases.leased(batch.pk, "verify"):
        Batch.objects.unrestricted("test").filter(pk=batch.pk).update(
            lease_owner="another"
        )  # taken over while this run stalled
        leases.check(batch.pk)
    assert Batch.objects.unrestricted("test").get(pk=batch.pk).lease_owner == "another"


def test_verifying_a_batch_another_living_process_verifies_is_refused():
    batch = verified(MESSY)
    Batch.objects.unrestricted("test").filter(pk=batch.pk).update(
        lease_owner="w", lease_expires=timezone.now() + timedelta(minutes=1)
    )
    with pytest.raises(leases.LeaseBusy):
        intake.verify_batch(Batch.objects.unrestricted("test").get(pk=batch.pk))


def test_a_finished_run_gives_its_lease_back():
    batch = verified(MESSY)
    batch.refresh_from_db()
    assert (batch.lease_owner, batch.lease_expires) == ("", None)


def test_the_sweep_queues_a_stalled_batch_once_and_leaves_a_living_one_alone():
    stalled, running = verified(MESSY), verified(DATA / "sample_p0101_clean.xlsx")
    left_by_a_dead_worker(stalled, BatchStatus.VERIFYING)
    Batch.objects.unrestricted("test").filter(pk=running.pk).update(
        status=BatchStatus.VERIFYING, lease_owner="w", lease_expires=timezone.now() + timedelta(minutes=1)
    )
    assert leases.sweep_expired() == [stalled]
    assert leases.sweep_expired() == []  # claimed for the queue: a second sweep does not queue it again
    assert Batch.objects.unrestricted("test").get(pk=stalled.pk).lease_owner == leases.QUEUED


def dead_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_living_lease_of_a_dead_process_of_this_machine_is_swept_at_once():
    import os
    import socket

    dead, living = verified(MESSY), verified(DATA / "sample_p0101_clean.xlsx")
    host, soon = socket.gethostname()[:40], timezone.now() + timedelta(minutes=1)
    for batch, pid in ((dead, dead_pid()), (living, os.getpid())):
        Batch.objects.unrestricted("test").filter(pk=batch.pk).update(
            status=BatchStatus.VERIFYING, lease_owner=f"verify:{host}:{pid}:abcd1234", lease_expires=soon
        )
    assert leases.sweep_expired() == [dead]
    assert Batch.objects.unrestricted("test").get(pk=dead.pk).lease_owner == leases.QUEUED


def test_a_living_lease_of_another_machine_waits_for_its_expiry():
    batch = verified(MESSY)
    Batch.objects.unrestricted("test").filter(pk=batch.pk).update(
        status=BatchStatus.MERGING,
        lease_owner=f"merge:another-host:{dead_pid()}:abcd1234",
        lease_expires=timezone.now() + timedelta(minutes=1),
    )
    assert leases.sweep_expired() == []


def test_a_run_that_raised_is_not_swept_again_in_a_loop():
    batch = verified(MESSY)
    with pytest.raises(ZeroDivisionError), leases.leased(batch.pk, "merge"):
        1 / 0  # noqa: B018
    Batch.objects.unrestricted("test").filter(pk=batch.pk).update(
        status=BatchStatus.MERGING, updated_at=timezone.now() - timedelta(hours=1)
    )
    assert leases.sweep_expired() == []
    assert leases.expired(
        Batch.objects.unrestricted("test").get(pk=batch.pk)
    )  # a person may still resume it (继续入库)


@pytest.mark.django_db(transaction=True)
def test_a_verification_killed_half_way_is_taken_over_and_ends_as_an_uninterrupted_run():
    batch = verified(MESSY)
    expected = snapshot(batch)
    batch.staged_rows.filter(row__gt=50).delete()  # the worker died half-way
    left_by_a_dead_worker(batch, BatchStatus.VERIFYING, progress=40)
    assert leases.sweep_expired() == [batch]
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    batch.refresh_from_db()
    assert (batch.status, batch.progress, batch.lease_owner) == ("needs_fix", 100, "")
    assert snapshot(batch) == expected


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_verification_task_leaves_a_verified_batch_alone():
    from collection.tasks import verify_batch_task

    batch = verified(MESSY)
    expected = snapshot(batch)
    verify_batch_task.enqueue(batch.pk)
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert snapshot(batch) == expected and Batch.objects.unrestricted("test").get(pk=batch.pk).status == "needs_fix"


def test_a_store_that_dies_mid_write_leaves_no_file_behind(monkeypatch, tmp_path):
    from django.core.files.storage import default_storage

    from collection import uploads

    def dies_half_way(source, target):
        target.write_bytes(source.read_bytes()[:100])
        raise OSError("killed")

    monkeypatch.setattr(uploads, "_copy", dies_half_way)
    with pytest.raises(OSError):
        uploads.store_file(MESSY, "ab" * 32, MESSY.name)
    root = Path(default_storage.path("uploads"))
    assert not [path for path in root.rglob("*") if path.is_file()]


def test_partial_files_of_killed_stores_are_purged(tmp_path):
    import os
    import time

    from django.core.files.storage import default_storage

    from collection import uploads

    folder = Path(default_storage.path("uploads/2026/12"))
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh = folder / ".abc.xlsx.1.partial", folder / ".def.xlsx.2.partial"
    for path in (old, fresh):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert uploads.purge_partial_uploads() == [old]
    assert fresh.exists() and not old.exists()
