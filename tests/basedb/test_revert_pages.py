"""Reverting on the web (issue 15 item 11): the confirmation says the whole batch is undone (its rows and records),
the batch's log records who reverted, when and how many records, and a reverted record is marked 已撤销."""

import pytest
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Record
from collection.review import approve_batch, review_history
from tests.conftest import TOWNSHIP_A, login

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


@pytest.fixture
def merged(officer_a):
    """A batch of 30 rows: 28 new records and 2 updates of records merged before."""
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2)]), acting_user=officer_a)
    rows = [person(1, phone="13900000001"), person(2, phone="13900000002"), *(person(n) for n in range(3, 31))]
    batch = staged_batch(TOWNSHIP_A, rows)
    approve_batch(batch, acting_user=officer_a)
    batch.refresh_from_db()
    return batch


def test_the_confirmation_says_the_whole_batch_is_reverted(client, merged, officer_a):
    page = login(client, officer_a).get(reverse("basedb:batch_revert", args=[merged.pk])).content.decode()
    assert "撤销作用于整个批次" in page and "共 30 行" in page
    assert '入库了 <span id="revert-records">30</span> 条记录' in page
    assert "新增的 28 条记录将注销" in page and "更新的 2 条记录将恢复" in page
    assert 'name="confirm" value="30"' in page


def test_a_post_without_the_confirmed_number_reverts_nothing(client, merged, officer_a):
    url = reverse("basedb:batch_revert", args=[merged.pk])
    response = login(client, officer_a).post(url, {"confirm": "1"})
    assert response.status_code == 200 and "确认撤销整个批次" in response.content.decode()
    assert not Record.objects.filter(status="retired").exists()


def test_the_batch_log_records_who_reverted_and_how_many_records(client, merged, officer_a):
    login(client, officer_a).post(reverse("basedb:batch_revert", args=[merged.pk]), {"confirm": "30"})
    last = review_history(merged)[-1]
    assert last.user == officer_a
    assert last.change_message == "撤销入库：30 条记录受影响（注销新增的 28 条，恢复更新的 2 条），批次回到待审核"
    page = client.get(reverse("collection:review_detail", args=[merged.pk])).content.decode()
    assert 'id="reverted-note"' in page and "已撤销" in page and "30 条记录受影响" in page
    assert page.count("审核通过并入库") == 1 and page.index("审核通过并入库") < page.rindex("撤销入库：30 条")


def test_the_record_page_says_its_revert_undoes_the_whole_batch(client, merged, officer_a):
    record = Record.objects.get(entity__key=person(1)["id_number"])
    page = login(client, officer_a).get(reverse("basedb:record_detail", args=[record.pk])).content.decode()
    assert f"撤销入库作用于整个批次 #{merged.pk}（共 30 行，30 条记录），不只是本记录" in page
    assert f"{reverse('basedb:batch_revert', args=[merged.pk])}?next=" in page


def test_a_reverted_record_is_marked_on_its_page_and_on_the_entity_page(client, merged, officer_a):
    login(client, officer_a).post(reverse("basedb:batch_revert", args=[merged.pk]), {"confirm": "30"})
    created = Record.objects.get(entity__key=person(5)["id_number"])
    page = client.get(reverse("basedb:record_detail", args=[created.pk])).content.decode()
    assert 'id="reverted-badge"' in page and f"批次 #{merged.pk}的入库已于" in page and "本记录已注销" in page
    assert "撤销整个批次" not in page
    updated = Record.objects.get(entity__key=person(1)["id_number"])
    page = client.get(reverse("basedb:entity_detail", args=[updated.entity.public_id])).content.decode()
    assert "已撤销" in page and "本记录已恢复为该批次入库前的值" in page


def test_the_batch_page_says_the_batch_was_reverted_and_leads_the_officer_to_the_preview(client, merged, officer_a):
    login(client, officer_a).post(reverse("basedb:batch_revert", args=[merged.pk]), {"confirm": "30"})
    page = client.get(reverse("collection:batch_detail", args=[merged.pk])).content.decode()
    assert "入库已撤销：" in page and "30 条记录受影响" in page
    assert reverse("collection:review_preview", args=[merged.pk]) in page
