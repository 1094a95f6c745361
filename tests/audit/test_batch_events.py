"""Every action on a batch writes its audit event with the acting user (or the command line) and the township:
upload, cell fix, resubmit, approve, return, merge (web, worker and CLI), revert."""

import io
import json

import pytest
from django.core.management import call_command

from basedb.revert import revert_batch
from collection import fixes, intake, review
from regions.choices import ActorKind, AuditVerb
from regions.models import AuditEvent
from tests.basedb.conftest import person, staged_batch
from tests.collection.batch_fixtures import DATA, P0101_ROWS, p0101_with_bad_id
from tests.conftest import TOWNSHIP_A

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


@pytest.fixture
def batch(collector_a):
    return staged_batch(TOWNSHIP_A, [person(1), person(2)], user=collector_a)


def test_an_upload_is_recorded_with_the_collector_and_the_township(collector_a):
    (batch,) = intake.create_batches(
        DATA / "sample_p0101_clean.xlsx", original_name="户籍.xlsx", region_code=TOWNSHIP_A, user=collector_a
    )
    (event,) = events(AuditVerb.UPLOAD)
    assert (event.actor_user, event.region_id, event.object_id) == (collector_a, TOWNSHIP_A, str(batch.pk))
    assert event.after["subcategory"] == "P0101"


def test_a_cell_fix_is_recorded_with_the_item_but_not_the_values(tmp_path, collector_a):
    batch = intake.verify_batch(
        intake.create_batches(
            p0101_with_bad_id(tmp_path / "户籍.xlsx"), original_name="户籍.xlsx", region_code=TOWNSHIP_A,
            user=collector_a,
        )[0]
    )  # fmt: skip
    fixes.fix_cell(batch.staged_rows.get(row=4), "id_number", P0101_ROWS[2][1], acting_user=collector_a)
    (event,) = events(AuditVerb.FIX_CELL)
    assert (event.actor_user, event.region_id) == (collector_a, TOWNSHIP_A)
    assert event.before == {"row": 4, "item": "id_number", "valid": False}
    assert event.after["valid"] is True and P0101_ROWS[2][1] not in json.dumps(event.after)


def test_returning_and_resubmitting_are_recorded_with_their_actors(batch, officer_a, collector_a):
    review.return_batch(batch, acting_user=officer_a, reason="第3行姓名有误")
    review.submit_batch(batch, acting_user=collector_a)
    (returned,) = events(AuditVerb.RETURN)
    (resubmitted,) = events(AuditVerb.RESUBMIT)
    assert (returned.actor_user, returned.region_id, returned.note) == (officer_a, TOWNSHIP_A, "第3行姓名有误")
    assert returned.before == {"status": "pending_review"} and returned.after == {"status": "returned"}
    assert (resubmitted.actor_user, resubmitted.after) == (collector_a, {"status": "pending_review"})


def test_approving_records_the_approval_and_the_merge_with_the_officer(batch, officer_a):
    review.approve_batch(batch, acting_user=officer_a)
    (approved,) = events(AuditVerb.APPROVE)
    (merged,) = events(AuditVerb.MERGE)
    assert (approved.actor_user, approved.region_id) == (officer_a, TOWNSHIP_A)
    assert (merged.actor_user, merged.after["created"], merged.after["status"]) == (officer_a, 2, "merged")


def test_merging_a_merged_batch_again_records_nothing_more(batch, officer_a):
    from basedb.merge import merge_batch

    review.approve_batch(batch, acting_user=officer_a)
    merge_batch(batch, acting_user=officer_a)
    assert len(events(AuditVerb.MERGE)) == 1


def test_approving_a_large_batch_records_the_approval_at_once_and_the_merge_by_the_worker(
    batch, officer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        review.approve_batch(batch, acting_user=officer_a, background=True)
    (approved,) = events(AuditVerb.APPROVE)
    assert approved.after == {"status": "merging"} and not events(AuditVerb.MERGE)


def test_a_cli_import_without_user_records_upload_and_merge_as_the_command_line():
    call_command("import_workbook", str(DATA / "sample_p0101_clean.xlsx"), "--region", TOWNSHIP_A, "--json",
                 stdout=io.StringIO())  # fmt: skip
    (upload,) = events(AuditVerb.UPLOAD)
    (merged,) = events(AuditVerb.MERGE)
    for event in (upload, merged):
        assert (event.actor_kind, event.region_id) == (ActorKind.CLI, TOWNSHIP_A)
        assert event.command.startswith("manage.py import_workbook ") and f"--region={TOWNSHIP_A}" in event.command
    assert merged.after["created"] == 100


def test_reverting_from_the_command_line_records_the_command_and_the_counts(batch, officer_a):
    review.approve_batch(batch, acting_user=officer_a)
    call_command("revert_batch", batch.pk, stdout=io.StringIO())
    (event,) = events(AuditVerb.REVERT)
    assert (event.actor_kind, event.region_id, event.after["retired"]) == (ActorKind.CLI, TOWNSHIP_A, 2)
    assert event.command == f"manage.py revert_batch --batch_id={batch.pk}"


def test_reverting_on_the_web_records_the_officer(batch, officer_a):
    review.approve_batch(batch, acting_user=officer_a)
    revert_batch(batch, acting_user=officer_a)
    (event,) = events(AuditVerb.REVERT)
    assert (event.actor_user, event.before["status"], event.after["status"]) == (officer_a, "merged", "pending_review")


def test_the_workers_merge_of_an_approved_batch_is_recorded_with_the_approving_officer(
    batch, officer_a, django_capture_on_commit_callbacks
):
    from collection.tasks import merge_approved_batch_task

    with django_capture_on_commit_callbacks(execute=False):
        review.approve_batch(batch, acting_user=officer_a, background=True)
    merge_approved_batch_task.func(batch.pk, officer_a.pk)  # what the worker runs
    assert len(events(AuditVerb.APPROVE)) == 1  # the approval, written when it was queued
    (merged,) = events(AuditVerb.MERGE)
    assert (merged.actor_user, merged.before, merged.after["created"]) == (officer_a, {"status": "merging"}, 2)
