"""The review workflow: resubmit, dry-run preview, approve, return, bulk actions, each recorded in the batch history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from basedb.models import Entity, Record, RecordVersion
from collection import review
from collection.choices import BatchStatus, MergeState
from collection.models import StagedRow
from tests.basedb.conftest import person, staged_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.usefixtures("catalog", "regions")


@pytest.fixture
def batch(collector_a):
    return staged_batch(TOWNSHIP_A, [person(1), person(2), person(3)], user=collector_a)


def test_the_preview_counts_what_approval_would_do_and_writes_nothing(batch, officer_a):
    result = review.preview_approval(batch, acting_user=officer_a)
    assert (result.created, result.updated, result.conflicts) == (3, 0, 0)
    assert not Record.objects.exists() and not Entity.objects.exists() and not RecordVersion.objects.exists()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW


def test_the_preview_announces_a_conflict_with_another_township(batch, officer_a):
    review.approve_batch(staged_batch(TOWNSHIP_B, [person(1)]), acting_user=officer_a)
    result = review.preview_approval(batch, acting_user=officer_a)
    assert (result.created, result.conflicts) == (2, 1)


def test_approving_merges_the_valid_rows_and_records_who_approved(batch, officer_a):
    result = review.approve_batch(batch, acting_user=officer_a)
    batch.refresh_from_db()
    assert result.created == 3 and batch.status == BatchStatus.MERGED
    assert Record.objects.filter(region_id=TOWNSHIP_A).count() == 3
    (entry,) = review.review_history(batch)
    assert entry.user == officer_a and "审核通过" in entry.change_message


def test_rows_with_errors_stay_in_the_batch_and_are_not_merged(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(1), person(2)], invalid={1})
    batch.status = BatchStatus.NEEDS_FIX
    batch.invalid = 1
    batch.save()
    assert review.approve_batch(batch, acting_user=officer_a).created == 1
    invalid = StagedRow.objects.get(batch=batch, is_valid=False)
    assert invalid.merge_state != MergeState.MERGED
    assert not Record.objects.filter(entity__key=person(2)["id_number"]).exists()


def test_returning_needs_a_reason_and_keeps_the_rows(batch, officer_a):
    with pytest.raises(ValidationError):
        review.return_batch(batch, acting_user=officer_a, reason="  ")
    review.return_batch(batch, acting_user=officer_a, reason="第3行姓名有误")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RETURNED and batch.return_reason == "第3行姓名有误"
    assert StagedRow.objects.filter(batch=batch).count() == 3 and not Record.objects.exists()


def test_a_returned_batch_cannot_be_approved_until_resubmitted(batch, officer_a, collector_a):
    review.return_batch(batch, acting_user=officer_a, reason="请核对")
    with pytest.raises(ValidationError):
        review.approve_batch(batch, acting_user=officer_a)
    review.submit_batch(batch, acting_user=collector_a)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW
    assert review.approve_batch(batch, acting_user=officer_a).created == 3
    assert [e.user for e in review.review_history(batch)] == [officer_a, collector_a, officer_a]


def test_a_resubmitted_batch_with_invalid_rows_goes_to_needs_fix(batch, officer_a, collector_a):
    review.return_batch(batch, acting_user=officer_a, reason="请核对")
    type(batch).objects.filter(pk=batch.pk).update(invalid=1)
    assert review.submit_batch(batch, acting_user=collector_a).status == BatchStatus.NEEDS_FIX


def test_only_a_collector_of_the_township_resubmits(batch, officer_a, collector_b):
    review.return_batch(batch, acting_user=officer_a, reason="请核对")
    for user in (collector_b, officer_a):
        with pytest.raises(PermissionDenied):
            review.submit_batch(batch, acting_user=user)


@pytest.mark.parametrize("who", ["collector_a", "collector_b", "other_county_officer"])
@pytest.mark.parametrize("action", ["approve", "return", "preview"])
def test_only_an_officer_covering_the_township_reviews(batch, who, action, request):
    user = request.getfixturevalue(who)
    call = {
        "approve": lambda: review.approve_batch(batch, acting_user=user),
        "return": lambda: review.return_batch(batch, acting_user=user, reason="x"),
        "preview": lambda: review.preview_approval(batch, acting_user=user),
    }[action]
    with pytest.raises(PermissionDenied):
        call()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW and not Record.objects.exists()


def test_a_merged_batch_cannot_be_returned(batch, officer_a):
    review.approve_batch(batch, acting_user=officer_a)
    with pytest.raises(ValidationError):
        review.return_batch(batch, acting_user=officer_a, reason="晚了")


def test_bulk_approve_merges_each_batch_and_reports_the_ones_it_could_not(officer_a):
    a = staged_batch(TOWNSHIP_A, [person(1)])
    b = staged_batch(TOWNSHIP_B, [person(2)])
    returned = staged_batch(TOWNSHIP_A, [person(3)])
    review.return_batch(returned, acting_user=officer_a, reason="请核对")
    result = review.bulk_approve([a, b, returned], acting_user=officer_a)
    assert [x.pk for x in result.done] == [a.pk, b.pk]
    assert [x.pk for x, _ in result.refused] == [returned.pk]
    assert Record.objects.count() == 2


def test_bulk_return_needs_a_reason_and_returns_every_batch(officer_a):
    batches = [staged_batch(TOWNSHIP_A, [person(n)]) for n in (1, 2)]
    with pytest.raises(ValidationError):
        review.bulk_return(batches, acting_user=officer_a, reason="")
    result = review.bulk_return(batches, acting_user=officer_a, reason="格式不对")
    assert len(result.done) == 2
    assert {b.status for b in type(batches[0]).objects.all()} == {BatchStatus.RETURNED}


# A real transaction: the worker runs the merge after the approval is committed, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_large_batch_is_merged_by_the_background_worker(officer_a, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    batch = staged_batch(TOWNSHIP_A, [person(1), person(2)])
    with django_capture_on_commit_callbacks(execute=True):
        assert review.approve_batch(batch, acting_user=officer_a, background=True) is None
    batch.refresh_from_db()
    assert batch.status == BatchStatus.MERGING and not Record.objects.exists()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.MERGED and batch.created == 2
    assert [e.change_message[:4] for e in review.review_history(batch)] == ["审核通过", "审核通过"]


def test_approving_a_batch_left_merging_resumes_it(batch, officer_a):
    type(batch).objects.filter(pk=batch.pk).update(status=BatchStatus.MERGING)
    assert review.approve_batch(batch, acting_user=officer_a).created == 3
