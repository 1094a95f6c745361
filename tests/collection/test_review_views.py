"""Review pages: the queue, the review page (preview), approve, return, resubmit, bulk actions.

Permission cases generated for every review view: anonymous (→ login), wrong role (collector of the township → 403),
other region (officer of another county → 404), own region (officer of the county → allowed)."""

import pytest
from django.urls import reverse

from basedb.models import Record
from collection import review
from collection.choices import BatchStatus
from tests.basedb.conftest import person, staged_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B, login

pytestmark = pytest.mark.usefixtures("catalog", "regions")

POSTS = {
    "collection:review_approve": {"confirm": "0-0"},
    "collection:review_return": {"reason": "请核对"},
}
GETS = ("collection:review_preview",)


@pytest.fixture
def batch(collector_a):
    return staged_batch(TOWNSHIP_A, [person(1), person(2)], user=collector_a)


@pytest.mark.parametrize("name", [*POSTS, *GETS])
def test_anonymous_users_are_sent_to_login(client, batch, name):
    url = reverse(name, args=[batch.pk])
    response = client.post(url, POSTS.get(name, {})) if name in POSTS else client.get(url)
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(("who", "status"), [("collector_a", 403), ("other_county_officer", 404), ("collector_b", 404)])
@pytest.mark.parametrize("name", [*POSTS, *GETS])
def test_others_than_the_townships_officers_cannot_review(client, batch, name, who, status, request):
    login(client, request.getfixturevalue(who))
    url = reverse(name, args=[batch.pk])
    response = client.post(url, POSTS.get(name, {})) if name in POSTS else client.get(url)
    assert response.status_code == status
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW


def test_the_queue_is_for_officers_only(client, batch, collector_a):
    assert reverse("login") in client.get(reverse("collection:review_queue"))["Location"]
    assert login(client, collector_a).get(reverse("collection:review_queue")).status_code == 403


def test_the_queue_lists_the_officers_region_only(client, batch, officer_a, other_county_officer):
    page = login(client, officer_a).get(reverse("collection:review_queue")).content.decode()
    assert f"#{batch.pk}<" in page
    page = login(client, other_county_officer).get(reverse("collection:review_queue")).content.decode()
    assert f"#{batch.pk}<" not in page


def test_the_queue_filters_by_township_and_status_and_sorts(client, batch, officer_a):
    other = staged_batch(TOWNSHIP_B, [person(3)])
    login(client, officer_a)
    page = client.get(reverse("collection:review_queue"), {"region": TOWNSHIP_B, "status": "todo"}).content.decode()
    assert f"#{other.pk}<" in page and f"#{batch.pk}<" not in page
    page = client.get(reverse("collection:review_queue"), {"status": "merged"}).content.decode()
    assert f"#{other.pk}<" not in page
    page = client.get(reverse("collection:review_queue"), {"sort": "-rows", "status": ""}).content.decode()
    assert page.index(f"#{batch.pk}<") < page.index(f"#{other.pk}<")


def test_the_queue_runs_a_fixed_number_of_queries(client, officer_a, django_assert_max_num_queries):
    login(client, officer_a)
    staged_batch(TOWNSHIP_A, [person(1)])
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("collection:review_queue"))
    for n in range(2, 8):
        staged_batch(TOWNSHIP_B, [person(n)])
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("collection:review_queue"))


def confirmed(batch) -> dict:
    """The confirmation the 入库预览's form posts: the batch's rows as the officer saw them."""
    return {"confirm": f"{batch.valid}-{batch.invalid}"}


def test_the_preview_page_shows_counts_and_writes_nothing(client, batch, officer_a):
    page = login(client, officer_a).get(reverse("collection:review_preview", args=[batch.pk])).content.decode()
    assert "入库预览" in page and "将新增" in page and "确认通过并入库" in page
    assert 'name="confirm" value="0-0"' in page
    assert not Record.objects.exists()


def test_the_preview_page_shows_the_changes_the_conflicts_and_the_rows_left_behind(client, officer_a, collector_a):
    from basedb.merge import merge_batch

    merge_batch(staged_batch(TOWNSHIP_B, [person(0)]), acting_user=None)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=None)
    batch = staged_batch(TOWNSHIP_A, [person(0), person(1, phone="13000000000"), person(2)], invalid={2})
    type(batch).objects.filter(pk=batch.pk).update(status=BatchStatus.NEEDS_FIX, valid=2, invalid=1)
    page = login(client, officer_a).get(reverse("collection:review_preview", args=[batch.pk])).content.decode()
    assert "138****0001" in page and "130****0000" in page and "13000000000" not in page
    assert "向阳街道（370602001）" in page
    assert "1 行未通过核验，不会入库，仍留在批次中待修正" in page
    assert login(client, collector_a).get(reverse("collection:review_preview", args=[batch.pk])).status_code == 403


def test_an_officer_approves_on_the_web_after_the_preview(client, batch, officer_a):
    login(client, officer_a).post(reverse("collection:review_approve", args=[batch.pk]), confirmed(batch))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.MERGED and Record.objects.count() == 2


def test_approving_without_the_previews_confirmation_opens_the_preview_and_merges_nothing(client, batch, officer_a):
    response = login(client, officer_a).post(reverse("collection:review_approve", args=[batch.pk]))
    assert response["Location"] == reverse("collection:review_preview", args=[batch.pk])
    stale = client.post(reverse("collection:review_approve", args=[batch.pk]), {"confirm": "5-1"})
    assert stale["Location"] == reverse("collection:review_preview", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW and not Record.objects.exists()


def test_an_officer_returns_with_a_reason_and_the_collector_resubmits(client, batch, officer_a, collector_a):
    login(client, officer_a).post(reverse("collection:review_return", args=[batch.pk]), {"reason": "身份证号有误"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RETURNED
    page = login(client, collector_a).get(reverse("collection:review_detail", args=[batch.pk])).content.decode()
    assert "身份证号有误" in page and "重新提交审核" in page
    client.post(reverse("collection:review_resubmit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW


def test_a_return_without_reason_is_refused(client, batch, officer_a):
    login(client, officer_a).post(reverse("collection:review_return", args=[batch.pk]), {"reason": ""})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW


def test_another_township_cannot_resubmit(client, batch, officer_a, collector_b):
    review.return_batch(batch, acting_user=officer_a, reason="x")
    assert login(client, collector_b).post(reverse("collection:review_resubmit", args=[batch.pk])).status_code == 404


def test_bulk_approve_and_return_on_the_web(client, officer_a, other_county_officer):
    a, b, c = (staged_batch(TOWNSHIP_A, [person(n)]) for n in (1, 2, 3))
    login(client, other_county_officer).post(reverse("collection:review_bulk"), {"batch": [a.pk], "action": "approve"})
    assert not Record.objects.exists()
    login(client, officer_a)
    page = client.post(reverse("collection:review_bulk"), {"batch": [a.pk, b.pk], "action": "approve"})
    assert "确认批量通过入库" in page.content.decode() and not Record.objects.exists()
    token = f"{a.pk}:0-0,{b.pk}:0-0"
    client.post(reverse("collection:review_bulk"), {"batch": [a.pk, b.pk], "action": "approve", "confirm": token})
    client.post(reverse("collection:review_bulk"), {"batch": [c.pk], "action": "return", "reason": "缺页"})
    statuses = dict(type(a).objects.values_list("pk", "status"))
    assert statuses == {a.pk: BatchStatus.MERGED, b.pk: BatchStatus.MERGED, c.pk: BatchStatus.RETURNED}


def test_bulk_approval_lists_the_batches_and_their_rows_with_errors_before_confirming(client, officer_a):
    clean = staged_batch(TOWNSHIP_A, [person(1)])
    faulty = staged_batch(TOWNSHIP_B, [person(2), person(3), person(4)], invalid={1, 2})
    type(faulty).objects.filter(pk=faulty.pk).update(status=BatchStatus.NEEDS_FIX, valid=1, invalid=2)
    login(client, officer_a)
    page = client.post(reverse("collection:review_bulk"), {"batch": [clean.pk, faulty.pk], "action": "approve"})
    text = page.content.decode()
    assert f"#{clean.pk}" in text and f"#{faulty.pk}" in text
    assert "2 行未通过核验，不会入库，仍留在各自批次中待修正" in text and "2 行留在批次中待修正" in text
    assert f'value="{clean.pk}:0-0,{faulty.pk}:1-2"' in text


def test_bulk_actions_are_refused_to_collectors(client, batch, collector_a):
    response = login(client, collector_a).post(
        reverse("collection:review_bulk"), {"batch": [batch.pk], "action": "approve"}
    )
    assert response.status_code == 403


def test_after_approval_the_rows_with_errors_are_offered_back_to_the_township(client, officer_a, collector_a):
    batch = staged_batch(TOWNSHIP_A, [person(1), person(2)], invalid={1}, user=collector_a)
    type(batch).objects.filter(pk=batch.pk).update(status=BatchStatus.NEEDS_FIX, valid=1, invalid=1)
    batch.refresh_from_db()
    login(client, officer_a).post(reverse("collection:review_approve", args=[batch.pk]), confirmed(batch))
    page = login(client, collector_a).get(reverse("collection:review_detail", args=[batch.pk])).content.decode()
    assert reverse("collection:batch_invalid_rows", args=[batch.pk]) in page
    assert Record.objects.count() == 1


def test_the_queue_shows_the_pending_filter_selected_by_default(client, batch, officer_a):
    page = login(client, officer_a).get(reverse("collection:review_queue")).content.decode()
    assert '<option value="todo" selected>' in page


def test_a_merged_batch_offers_a_confirmed_revert_to_its_officers(client, batch, officer_a, collector_a):
    login(client, officer_a).post(reverse("collection:review_approve", args=[batch.pk]), confirmed(batch))
    page = client.get(reverse("collection:review_detail", args=[batch.pk])).content.decode()
    assert reverse("basedb:batch_revert", args=[batch.pk]) in page and "撤销入库" in page and "共 2 行" in page
    client.post(reverse("basedb:batch_revert", args=[batch.pk]), {"next": "/", "confirm": "2"})
    assert not Record.objects.filter(status="active").exists()
    page = login(client, collector_a).get(reverse("collection:review_detail", args=[batch.pk])).content.decode()
    assert reverse("basedb:batch_revert", args=[batch.pk]) not in page


def test_a_merging_batch_reloads_and_offers_resume_as_soon_as_its_lease_expired(client, batch, officer_a):
    from datetime import timedelta

    from django.utils import timezone

    from collection.models import Batch

    live = timezone.now() + timedelta(seconds=30)
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.MERGING, lease_owner="merge:w:1:x", lease_expires=live)
    page = login(client, officer_a).get(reverse("collection:review_detail", args=[batch.pk])).content.decode()
    assert 'http-equiv="refresh"' in page and "继续入库" not in page
    # One second after the lease expired, not five minutes: the batch was updated just now.
    Batch.objects.filter(pk=batch.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))
    page = client.get(reverse("collection:review_detail", args=[batch.pk])).content.decode()
    assert "继续入库" in page
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.MERGED)
    page = client.get(reverse("collection:review_detail", args=[batch.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page
