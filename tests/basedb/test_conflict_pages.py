"""Resolving a conflict on its own page (issue 15 item 9): keep existing, take new, or 人工修改 item by item with a
note (refused in Chinese when nothing is chosen or the note is missing); the resolved list keeps the difference and
the note; the person's page shows an open-conflict banner linking to the conflict."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from basedb.conflicts import resolve_conflict
from basedb.merge import merge_batch
from basedb.models import Conflict, Record
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B, login

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


@pytest.fixture
def conflict(officer_a):
    """Person 1 held by township A; township B reports them again with another phone and ethnicity."""
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_B, [person(1, phone="13700000000", ethnicity="02")]), acting_user=officer_a)
    return Conflict.objects.get()


def resolve(client, conflict, **data):
    return client.post(reverse("basedb:conflict_resolve", args=[conflict.pk]), data)


def test_the_conflict_page_offers_a_choice_per_differing_item(client, conflict, officer_a):
    page = login(client, officer_a).get(reverse("basedb:conflict_detail", args=[conflict.pk])).content.decode()
    assert 'name="item_phone"' in page and 'name="item_ethnicity"' in page and 'name="item_name"' not in page
    assert "13800000001" in page and "13700000000" in page and "人工修改" in page


def test_editing_with_nothing_chosen_is_refused_in_chinese(client, conflict, officer_a):
    response = resolve(login(client, officer_a), conflict, decision="edit", note="核实")
    assert response.status_code == 200
    assert "人工修改须至少为一个数据项选择“采用新值”或“填写其他值”" in response.content.decode()
    assert Conflict.objects.get().status == "open"


def test_editing_without_a_note_is_refused_in_chinese(client, conflict, officer_a):
    response = resolve(login(client, officer_a), conflict, decision="edit", item_phone="new")
    assert "人工修改时须填写说明" in response.content.decode()
    assert Conflict.objects.get().status == "open"
    with pytest.raises(ValidationError):
        resolve_conflict(conflict, decision="edit", acting_user=officer_a, values={"phone": "1"}, note=" ")


def test_an_empty_other_value_is_refused(client, conflict, officer_a):
    response = resolve(login(client, officer_a), conflict, decision="edit", item_phone="other", note="核实")
    assert "请填写“联系电话”修改后的值" in response.content.decode()


def test_editing_takes_the_chosen_items_and_keeps_the_others(client, conflict, officer_a):
    response = resolve(login(client, officer_a), conflict, decision="edit", item_phone="new", item_ethnicity="existing",
                       note="电话以新上报为准")  # fmt: skip
    assert response["Location"] == reverse("basedb:conflict_list")
    record = Record.objects.get()
    assert (record.values["phone"], record.values["ethnicity"], record.region_id) == ("13700000000", "01", TOWNSHIP_A)
    assert Conflict.objects.get().applied_changes == {"phone": ["13800000001", "13700000000"]}


def test_the_resolved_list_keeps_the_difference_and_the_note(client, conflict, officer_a):
    resolve(login(client, officer_a), conflict, decision="take_new", note="新乡镇为现居住地")
    page = client.get(reverse("basedb:conflict_list"), {"status": "resolved"}).content.decode()
    assert "13800000001" in page and "13700000000" in page  # the difference as it was when decided
    assert "说明：新乡镇为现居住地" in page and "采用新数据" in page and "改动：" in page
    detail = client.get(reverse("basedb:conflict_detail", args=[conflict.pk])).content.decode()
    assert "处理结果：采用新数据" in detail and "新乡镇为现居住地" in detail


def test_the_persons_page_shows_the_open_conflict_and_links_to_it(client, conflict, officer_a):
    url = reverse("basedb:entity_detail", args=[conflict.entity.public_id])
    page = login(client, officer_a).get(url).content.decode()
    assert 'id="open-conflicts"' in page and reverse("basedb:conflict_detail", args=[conflict.pk]) in page
    assert "已由东山街道登记，向阳街道再次上报" in page
    resolve(client, conflict, decision="keep_existing")
    assert 'id="open-conflicts"' not in client.get(url).content.decode()


def test_a_collector_of_the_holding_township_is_told_without_a_link_it_cannot_open(client, conflict, collector_a):
    page = login(client, collector_a).get(reverse("basedb:entity_detail", args=[conflict.entity.public_id]))
    text = page.content.decode()
    assert 'id="open-conflicts"' in text and "由两乡镇共同上级的数据核验员处理" in text
    assert reverse("basedb:conflict_detail", args=[conflict.pk]) not in text
    assert client.get(reverse("basedb:conflict_detail", args=[conflict.pk])).status_code == 404
