"""One state machine, one wording: the batch page's badge and state card say the same thing after every change
(verification, the last fix, resubmitting), and a batch that passes after fixes never reads as "没有发现问题" alone."""

import pytest
from django.urls import reverse

from collection.choices import BatchStatus
from collection.intake import submit_upload
from collection.models import Batch
from tests.collection.batch_fixtures import BAD_ID, media, p0101_with_bad_id
from tests.conftest import TOWNSHIP_A, login

__all__ = ["media"]  # fixture used below

GOOD_ID = "370681199208165126"  # BAD_ID with its right check digit


@pytest.fixture
def bad_id_batch(tmp_path, collector_a, catalog, media) -> Batch:
    """Three P0101 rows uploaded by collector_a; row 4 holds an ID number with a wrong check digit."""
    path = p0101_with_bad_id(tmp_path / "人口.xlsx")
    return submit_upload(str(path), original_name="人口.xlsx", region_code=TOWNSHIP_A, user=collector_a)[0]


def fix_url(batch: Batch) -> str:
    return reverse("collection:batch_fix_cell", args=[batch.pk, batch.staged_rows.get(row=4).pk])


def fix(client, batch: Batch, value: str) -> dict:
    return client.post(fix_url(batch), {"item": "id_number", "value": value}, HTTP_ACCEPT="application/json").json()


def test_a_batch_to_fix_says_it_is_already_in_the_officers_queue(client, collector_a, bad_id_batch):
    page = login(client, collector_a).get(reverse("collection:batch_detail", args=[bad_id_batch.pk])).content.decode()
    assert bad_id_batch.status == BatchStatus.NEEDS_FIX
    assert 'id="batch-status" aria-live="polite">待修正</span>' in page
    assert "还有 1 行有误，待修正。" in page
    assert "本批次已在核验员的审核队列中：核验员可以先将有效的 2 行审核入库" in page


def test_after_the_last_fix_the_reply_carries_the_new_state_and_its_wording(client, collector_a, bad_id_batch):
    reply = fix(login(client, collector_a), bad_id_batch, GOOD_ID)
    assert reply["batch"]["status"] == "pending_review" and reply["batch"]["status_label"] == "待审核"
    assert 'data-status="pending_review"' in reply["state_html"]
    assert "全部 3 行已通过核验，等待核验员审核入库。" in reply["state_html"]
    assert "在线修正 1 处" in reply["state_html"]


def test_a_batch_clean_after_fixes_says_so_instead_of_no_issues_found(client, collector_a, bad_id_batch):
    fix(login(client, collector_a), bad_id_batch, GOOD_ID)
    page = client.get(reverse("collection:batch_detail", args=[bad_id_batch.pk])).content.decode()
    assert "全部数据现已通过核验：在线修正 1 处，没有剩余问题。" in page
    assert "没有发现问题" not in page


def test_a_failed_fix_keeps_the_batch_to_fix_and_says_so(client, collector_a, bad_id_batch):
    reply = fix(login(client, collector_a), bad_id_batch, BAD_ID)
    assert reply["batch"]["status"] == "needs_fix" and "还有 1 行有误" in reply["state_html"]


@pytest.mark.parametrize(
    ("value", "status", "wording"),
    [(BAD_ID, "待修正", "仍有 1 行有误；核验员可以先将有效的 2 行审核入库"), (GOOD_ID, "待审核", "全部 3 行通过核验")],
)
def test_after_resubmitting_the_message_and_the_badge_agree(client, collector_a, bad_id_batch, value, status, wording):
    fix(login(client, collector_a), bad_id_batch, value)
    Batch.objects.filter(pk=bad_id_batch.pk).update(status=BatchStatus.RETURNED, return_reason="请核对身份证号")
    response = client.post(reverse("collection:review_resubmit", args=[bad_id_batch.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("collection:batch_detail", args=[bad_id_batch.pk])
    page = response.content.decode()
    assert f"已重新提交（{status}）" in page and wording in page
    assert f'id="batch-status" aria-live="polite">{status}</span>' in page


def test_a_returned_batch_shows_the_reason_and_the_resubmit_button_in_its_state(client, collector_a, bad_id_batch):
    Batch.objects.filter(pk=bad_id_batch.pk).update(status=BatchStatus.RETURNED, return_reason="请核对身份证号")
    page = login(client, collector_a).get(reverse("collection:batch_detail", args=[bad_id_batch.pk])).content.decode()
    assert "核验员已退回本批次，原因：请核对身份证号" in page and 'id="resubmit"' in page


def test_the_progress_poll_carries_the_state_once_verified(client, collector_a, bad_id_batch):
    data = login(client, collector_a).get(reverse("collection:batch_progress", args=[bad_id_batch.pk])).json()
    assert data["done"] and data["status_label"] == "待修正" and "还有 1 行有误" in data["state_html"]


def test_an_officer_reads_the_same_state_with_the_officers_next_step(client, officer_a, bad_id_batch):
    page = login(client, officer_a).get(reverse("collection:batch_detail", args=[bad_id_batch.pk])).content.decode()
    assert (
        "还有 1 行有误，待修正。" in page and "查看入库预览</a>，将有效的行审核入库，或退回乡镇（街道）修正。" in page
    )
