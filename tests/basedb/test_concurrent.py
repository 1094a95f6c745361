"""Two merges of overlapping files at the same time, each on its own database connection (PostgreSQL only:
SQLite serialises writers, so there is no race to test)."""

import threading

import pytest
from django.db import connection

from basedb.merge import merge_batch
from basedb.models import Entity, Record
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent merges need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "regions"),
]


def merge_at_once(batches, user) -> list:
    """Merge the batches in parallel threads started together; returns each result (or the exception raised)."""
    barrier, results = threading.Barrier(len(batches)), [None] * len(batches)

    def work(i, batch):
        try:
            barrier.wait()
            results[i] = merge_batch(batch, acting_user=user, chunk_size=100)
        except Exception as exc:  # reported to the test below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, b)) for i, b in enumerate(batches)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_overlapping_merges_of_one_township_create_no_duplicate_entity(officer_a):
    one = staged_batch(TOWNSHIP_A, [person(n) for n in range(0, 600)])
    two = staged_batch(TOWNSHIP_A, [person(n) for n in range(300, 900)])
    results = merge_at_once([one, two], officer_a)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Entity.objects.count() == 900
    assert Record.objects.count() == 900
    assert sum(r.created for r in results) == 900
    assert sum(r.unchanged for r in results) == 300


def test_two_overlapping_merges_of_two_townships_make_conflicts_not_duplicates(officer_a):
    one = staged_batch(TOWNSHIP_A, [person(n) for n in range(0, 600)])
    two = staged_batch(TOWNSHIP_B, [person(n) for n in range(300, 900)])
    results = merge_at_once([one, two], officer_a)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert (Entity.objects.count(), Record.objects.count()) == (900, 900)
    assert sum(r.created for r in results) == 900
    assert sum(r.conflicts for r in results) == 300


def test_entities_and_records_committed_by_another_transaction_while_staging_are_linked_not_lost(officer_a):
    """The staging statement inserts the chunk's new entities and reads the existing ones in one snapshot: keys
    that another transaction commits while it waits on them are staged without entity, then linked (and their
    records compared) before anything is written for them."""
    from django.db import transaction

    from basedb.choices import RecordStatus
    from catalog.models import Subcategory

    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(5)])
    inserted, release, outcome = threading.Event(), threading.Event(), {}

    def other_writer():
        try:
            with transaction.atomic():
                first = Entity.objects.create(kind="person", key=person(0)["id_number"], region_id=TOWNSHIP_A)
                Entity.objects.create(kind="person", key=person(1)["id_number"], region_id=TOWNSHIP_A)
                Record.objects.create(entity=first, subcategory=Subcategory.objects.get(code="P0101"),
                                      region_id=TOWNSHIP_A, values=person(0), status=RecordStatus.ACTIVE)  # fmt: skip
                inserted.set()
                release.wait(30)
        finally:
            connection.close()

    def merge():
        try:
            outcome["result"] = merge_batch(batch, acting_user=officer_a)
        except Exception as exc:  # reported below
            outcome["result"] = exc
        finally:
            connection.close()

    writer, merger = threading.Thread(target=other_writer), threading.Thread(target=merge)
    writer.start()
    assert inserted.wait(30)
    merger.start()
    with connection.cursor() as cursor:  # wait until the merge blocks on the other transaction's entities
        for _ in range(300):
            cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND state = 'active'")
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
        else:
            release.set()
            pytest.fail("the merge never waited on the other transaction")
    release.set()
    writer.join()
    merger.join()
    result = outcome["result"]
    assert not isinstance(result, Exception), result
    assert (result.created, result.updated, result.unchanged, result.conflicts) == (4, 0, 1, 0)
    assert Entity.objects.count() == 5
    assert Record.objects.count() == 5
    keys = {r.entity.key for r in Record.objects.select_related("entity")}
    assert keys == {person(n)["id_number"] for n in range(5)}
