"""A merge whose worker died is taken over by the lease sweep (collection/leases.py) and ends exactly as an
uninterrupted merge: the same records, the same counts, each staged row once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from basedb.merge import SimulatedCrash, merge_batch
from basedb.models import Record, RecordVersion
from collection import leases, review
from collection.choices import BatchStatus
from collection.models import Batch
from tests.conftest import TOWNSHIP_A

from .conftest import person, staged_batch

pytestmark = [pytest.mark.usefixtures("catalog", "regions"), pytest.mark.django_db(transaction=True)]


def outcome(batch: Batch) -> tuple:
    batch.refresh_from_db()
    records = sorted(Record.objects.filter(region_id=TOWNSHIP_A).values_list("entity__key", "values"))
    versions = RecordVersion.objects.filter(record__region_id=TOWNSHIP_A).count()
    return batch.status, (batch.created, batch.updated, batch.unchanged, batch.conflicts), records, versions


def test_a_merge_killed_after_one_chunk_is_taken_over_and_counted_once(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(35)])
    with pytest.raises(SimulatedCrash):
        merge_batch(batch, acting_user=officer_a, chunk_size=10, _crash_after_chunks=1)
    gone = timezone.now() - timedelta(seconds=1)
    Batch.objects.unrestricted("test").filter(pk=batch.pk).update(
        lease_owner="merge:gone:1:x", lease_expires=gone, merge_by=officer_a
    )
    assert leases.sweep_expired() == [batch]
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    status, counts, records, versions = outcome(batch)
    assert (status, counts, len(records), versions) == (BatchStatus.MERGED, (35, 0, 0, 0), 35, 35)
    assert Batch.objects.unrestricted("test").get(pk=batch.pk).lease_owner == ""


def test_a_stale_merge_task_leaves_a_merged_batch_alone(officer_a):
    from collection.tasks import merge_approved_batch_task

    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(5)])
    review.approve_batch(batch, acting_user=officer_a)
    before = outcome(batch)
    merge_approved_batch_task.enqueue(batch.pk, officer_a.pk)
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert outcome(batch) == before


def test_resuming_a_merge_a_living_worker_runs_is_refused(officer_a):
    from django.core.exceptions import ValidationError

    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(5)])
    live = timezone.now() + timedelta(minutes=1)
    Batch.objects.unrestricted("test").filter(pk=batch.pk).update(
        status=BatchStatus.MERGING, lease_owner="merge:w:1:x", lease_expires=live
    )
    with pytest.raises(ValidationError):
        review.approve_batch(Batch.objects.unrestricted("test").get(pk=batch.pk), acting_user=officer_a)
    assert not Record.objects.exists()
