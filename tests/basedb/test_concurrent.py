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
    pytest.mark.usefixtures("catalog_loaded", "regions"),
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
