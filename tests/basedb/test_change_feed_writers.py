"""Writers of history (revert, conflict resolution) serialise on the change-feed lock and wake the webhook scan."""

import pytest
from django_tasks_db.models import DBTaskResult

from basedb.conflicts import resolve_conflict
from basedb.merge import merge_batch
from basedb.models import Conflict
from basedb.revert import revert_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def scan_tasks() -> int:
    return DBTaskResult.objects.filter(task_path="sharing.tasks.scan_webhooks_task").count()


def test_reverting_a_batch_queues_a_webhook_scan_after_commit(officer_a, django_capture_on_commit_callbacks):
    batch = staged_batch(TOWNSHIP_A, [person(1), person(2)])
    merge_batch(batch, acting_user=officer_a)
    before = scan_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        revert_batch(batch, acting_user=officer_a)
    assert scan_tasks() == before + 1


def test_resolving_a_conflict_queues_a_webhook_scan_after_commit(officer_a, django_capture_on_commit_callbacks):
    merge_batch(staged_batch(TOWNSHIP_B, [person(1)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13700000000")]), acting_user=officer_a)
    before = scan_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        resolve_conflict(Conflict.objects.get(), decision="take_new", acting_user=officer_a)
    assert scan_tasks() == before + 1


def test_a_merge_that_changes_records_queues_a_webhook_scan(officer_a, django_capture_on_commit_callbacks):
    before = scan_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    assert scan_tasks() == before + 1


def test_a_merge_that_changes_nothing_queues_no_scan(officer_a, django_capture_on_commit_callbacks):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    before = scan_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    assert scan_tasks() == before
