"""Base-database pages: who sees which records and conflicts, resolving and reverting through the web.

Covered: record list, entity page, conflict list, conflict resolve, batch revert — each for anonymous, wrong role,
other region and own region."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from basedb.merge import merge_batch
from basedb.models import Conflict, Entity, Record
from catalog.specs_build import build_table_spec
from regions.models import Region
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B, login

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


@pytest.fixture
def a_record(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    return Record.objects.get()


@pytest.fixture
def conflict(officer_a, a_record):
    merge_batch(staged_batch(TOWNSHIP_B, [person(1, phone="13700000000")]), acting_user=officer_a)
    return Conflict.objects.get()


@pytest.mark.parametrize("name", ["basedb:record_list", "basedb:conflict_list"])
def test_anonymous_users_are_sent_to_login(client, name):
    assert reverse("login") in client.get(reverse(name))["Location"]


def test_a_collector_sees_the_records_of_their_township_only(client, a_record, collector_a, collector_b):
    assert "测试1" in login(client, collector_a).get(reverse("basedb:record_list")).content.decode()
    assert "测试1" not in login(client, collector_b).get(reverse("basedb:record_list")).content.decode()


def test_the_entity_page_shows_history_and_is_404_outside_the_region(client, a_record, collector_a, collector_b):
    url = reverse("basedb:entity_detail", args=[a_record.entity.public_id])
    page = login(client, collector_a).get(url).content.decode()
    assert "变更历史" in page and "officer_a" in page
    assert login(client, collector_b).get(url).status_code == 404


def test_an_officer_covering_both_townships_resolves_a_conflict_on_the_web(client, conflict, officer_a):
    login(client, officer_a)
    assert person(1)["id_number"] in client.get(reverse("basedb:conflict_list")).content.decode()
    client.post(reverse("basedb:conflict_resolve", args=[conflict.pk]), {"decision": "take_new"})
    assert Record.objects.get().values["phone"] == "13700000000"


def test_the_incoming_townships_collector_sees_its_conflict_read_only_without_the_existing_values(
    client, conflict, collector_b
):
    page = login(client, collector_b).get(reverse("basedb:conflict_list")).content.decode()
    assert "13700000000" in page and person(1)["phone"] not in page  # its own upload, not township A's record
    assert "需由两乡镇共同上级处理" in page and 'name="decision"' not in page


@pytest.mark.parametrize("who", ["collector_b", "other_county_officer"])
def test_others_cannot_see_or_resolve_the_conflict(client, conflict, who, request):
    login(client, request.getfixturevalue(who))
    if who == "other_county_officer":
        assert person(1)["id_number"] not in client.get(reverse("basedb:conflict_list")).content.decode()
    response = client.post(reverse("basedb:conflict_resolve", args=[conflict.pk]), {"decision": "take_new"})
    assert response.status_code == 404
    assert Conflict.objects.get().status == "open"


def test_the_conflict_list_runs_a_fixed_number_of_queries(client, officer_a, conflict):
    login(client, officer_a)
    client.get(reverse("basedb:conflict_list"))  # builds the process-wide catalog spec cache
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("basedb:conflict_list"))
    merge_batch(staged_batch(TOWNSHIP_A, [person(2), person(3)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_B, [person(2), person(3)]), acting_user=officer_a)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("basedb:conflict_list"))
    assert Conflict.objects.count() == 3
    assert len(three) == len(one)


def test_an_officer_reverts_a_batch_and_a_collector_cannot(client, officer_a, collector_a):
    batch = staged_batch(TOWNSHIP_A, [person(5)])
    merge_batch(batch, acting_user=officer_a)
    url = reverse("basedb:batch_revert", args=[batch.pk])
    assert login(client, collector_a).post(url, {"confirm": "1"}).status_code == 404
    assert Record.objects.get().status == "active"
    assert login(client, officer_a).post(url, {"confirm": "1"}).status_code == 302
    assert Record.objects.get().status == "retired"
    assert Entity.objects.count() == 1


def merged_house(officer, owner: dict) -> Record:
    values = {"house_code": "H370602002001", "address": "东山街道1号", "owner_id_number": owner["id_number"]}
    batch = staged_batch(TOWNSHIP_A, [values], subcategory="H0101")
    batch.staged_rows.update(key="H370602002001")
    merge_batch(batch, acting_user=officer)
    return Record.objects.get(subcategory__code="H0101")


def test_the_entity_page_links_a_house_to_its_owner_and_back(client, a_record, officer_a, collector_a):
    house = merged_house(officer_a, person(1))
    login(client, collector_a)
    owner_page = client.get(reverse("basedb:entity_detail", args=[a_record.entity.public_id]))
    house_url = reverse("basedb:entity_detail", args=[house.entity.public_id])
    assert house_url in owner_page.content.decode()
    person_url = reverse("basedb:entity_detail", args=[a_record.entity.public_id])
    assert person_url in client.get(house_url).content.decode()


def test_the_old_entity_address_redirects(client, a_record, collector_a):
    response = login(client, collector_a).get(reverse("basedb:entity_by_id", args=[a_record.entity_id]))
    assert response["Location"] == reverse("basedb:entity_detail", args=[a_record.entity.public_id])


def test_the_record_page_shows_history_and_a_revert_button_for_officers_only(client, a_record, officer_a, collector_a):
    url = reverse("basedb:record_detail", args=[a_record.pk])
    page = login(client, collector_a).get(url).content.decode()
    assert "变更历史" in page and "公民身份号码" in page and "撤销批次" not in page
    page = login(client, officer_a).get(url).content.decode()
    assert "撤销整个批次" in page
    revert = reverse("basedb:batch_revert", args=[a_record.last_batch_id])
    assert client.post(revert, {"next": url, "confirm": "1"})["Location"] == url
    a_record.refresh_from_db()
    assert a_record.status == "retired"


def test_the_record_page_is_404_outside_the_region(client, a_record, collector_b):
    assert login(client, collector_b).get(reverse("basedb:record_detail", args=[a_record.pk])).status_code == 404


def test_revert_ignores_a_next_address_of_another_site(client, a_record, officer_a):
    revert = reverse("basedb:batch_revert", args=[a_record.last_batch_id])
    response = login(client, officer_a).post(revert, {"next": "https://evil.example/", "confirm": "1"})
    assert "evil" not in response["Location"]


@pytest.mark.parametrize(("who", "downloads"), [("collector_a", True), ("collector_b", False), ("officer_a", True)])
def test_the_patch_download_is_scoped_to_the_users_townships(client, a_record, who, downloads, request):
    login(client, request.getfixturevalue(who))
    response = client.get(reverse("basedb:patch_download"), {"region": TOWNSHIP_A, "subcategory": "P0101"})
    # Another township is not among the form's choices: the form comes back instead of a file.
    assert ("attachment" in response.get("Content-Disposition", "")) is downloads


def test_the_patch_download_tells_the_waiting_page_that_the_file_is_coming(client, a_record, collector_a):
    login(client, collector_a)
    page = client.get(reverse("basedb:patch_download")).content.decode()
    assert 'id="patch-busy"' in page and "js/patch.js" in page
    query = {"region": TOWNSHIP_A, "subcategory": "P0101", "ready": "1733350000123"}
    response = client.get(reverse("basedb:patch_download"), query)
    assert response.cookies["patch_ready"].value == "1733350000123"
    odd = client.get(reverse("basedb:patch_download"), {**query, "ready": "<script>"})
    assert "patch_ready" not in odd.cookies


def test_the_patch_download_is_streamed_from_a_file_and_holds_the_townships_records(client, a_record, collector_a):
    login(client, collector_a)
    response = client.get(reverse("basedb:patch_download"), {"region": TOWNSHIP_A, "subcategory": "P0101"})
    assert response.streaming and "attachment" in response["Content-Disposition"]
    assert "P0101" in response["Content-Disposition"] and response["Content-Disposition"].endswith(".xlsx")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["P0101户籍人口"]
    assert ws.cell(2, 2).value == a_record.values["id_number"] and ws.cell(3, 2).value is None


def test_resolving_on_the_web_is_recorded_in_the_records_history(client, conflict, officer_a):
    login(client, officer_a).post(
        reverse("basedb:conflict_resolve", args=[conflict.pk]),
        {"decision": "edit", "item_phone": "other", "value_phone": "13600000000", "note": "电话核实"},
    )
    record = Record.objects.get()
    assert record.values["phone"] == "13600000000"
    version = record.versions.order_by("-id").first()
    assert version.action == "resolve" and version.acting_user == officer_a and "电话核实" in version.note
    page = client.get(reverse("basedb:record_detail", args=[record.pk])).content.decode()
    assert "冲突处理" in page


def test_a_resolved_conflict_shows_who_decided(client, conflict, officer_a):
    login(client, officer_a).post(reverse("basedb:conflict_resolve", args=[conflict.pk]), {"decision": "keep_existing"})
    page = client.get(reverse("basedb:conflict_list"), {"status": "resolved"}).content.decode()
    assert "保留原记录" in page and "officer_a" in page


@pytest.mark.parametrize("q", ["测试1", person(1)["id_number"]])
def test_the_search_finds_a_record_by_name_or_key(client, a_record, collector_a, q):
    response = login(client, collector_a).post(reverse("basedb:record_search"), {"q": q}, follow=True)
    assert reverse("basedb:record_detail", args=[a_record.pk]) in response.content.decode()
    assert response.redirect_chain and all(q not in url for url, _status in response.redirect_chain)


def test_the_person_page_links_the_enterprise_they_represent(client, a_record, officer_a, collector_a):
    values = {
        "uscc": "91370602MA3C000001",
        "enterprise_name": "东山商贸有限公司",
        "legal_rep_id_number": person(1)["id_number"],
    }
    batch = staged_batch(TOWNSHIP_A, [values], subcategory="E0101")
    batch.staged_rows.update(key=values["uscc"])
    merge_batch(batch, acting_user=officer_a)
    enterprise = Record.objects.get(subcategory__code="E0101").entity
    login(client, collector_a)
    page = client.get(reverse("basedb:entity_detail", args=[a_record.entity.public_id])).content.decode()
    assert reverse("basedb:entity_detail", args=[enterprise.public_id]) in page
    page = client.get(reverse("basedb:entity_detail", args=[enterprise.public_id])).content.decode()
    assert reverse("basedb:entity_detail", args=[a_record.entity.public_id]) in page


def test_the_record_page_shows_chinese_labels_code_labels_and_the_uploader(client, officer_a, collector_a):
    collector_a.first_name, collector_a.last_name = "小明", "王"
    collector_a.save()
    first = staged_batch(TOWNSHIP_A, [person(1, sex="1", ethnicity="01")], user=collector_a)
    merge_batch(first, acting_user=officer_a)
    second = staged_batch(TOWNSHIP_A, [person(1, sex="1", ethnicity="05")], user=collector_a)
    merge_batch(second, acting_user=officer_a)
    record = Record.objects.get()
    page = login(client, collector_a).get(reverse("basedb:record_detail", args=[record.pk])).content.decode()
    assert '<span title="代码 1">男性</span>' in page and "民族" in page and "ethnicity" not in page
    assert "<td>1</td>" not in page and "<td>05</td>" not in page
    # history diff: Chinese label, code labels on both sides
    assert '民族：<span title="代码 01">汉族</span> → <span title="代码 05">' in page
    assert "name：" not in page and "（空）" not in page and "姓名：—" in page
    # provenance: the uploader's full name, the township's name, the batch link; the approver separately
    assert collector_a.get_full_name() in page and "审核入库人" in page
    assert (
        Region.objects.get(pk=TOWNSHIP_A).name in page
        and f">{TOWNSHIP_A}<" not in page
        and " · 370602002 · " not in page
    )
    assert reverse("collection:batch_detail", args=[second.pk]) in page


def test_booleans_read_as_yes_no_and_empty_as_a_dash():
    from basedb.labels import Presenter

    presenter = Presenter()
    assert presenter.value("H0101", "is_rented", False).text == "否"
    assert presenter.value("H0101", "is_rented", "true").text == "是"
    assert presenter.value("H0101", "is_rented", None).text == "—"
    assert presenter.label("H0101", "is_rented") == "是否出租"
    assert presenter.label("P0101", "house_use") == "房屋用途"  # not an item of P0101: the element's name


def test_the_entity_page_names_kinds_in_chinese(client, a_record, officer_a, collector_a):
    merged_house(officer_a, person(1))
    page = (
        login(client, collector_a)
        .get(reverse("basedb:entity_detail", args=[a_record.entity.public_id]))
        .content.decode()
    )
    assert '<span class="muted">房</span>' in page and '<span class="muted">house</span>' not in page


def test_the_conflict_diff_uses_item_labels(client, conflict, officer_a):
    page = login(client, officer_a).get(reverse("basedb:conflict_list")).content.decode()
    assert "phone：" not in page and "13700000000" in page
    assert '<option value="phone">phone</option>' not in page


def test_the_record_and_entity_pages_run_a_fixed_number_of_queries(client, officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)], user=collector_a), acting_user=officer_a)
    record = Record.objects.get()
    urls = [
        reverse("basedb:record_detail", args=[record.pk]),
        reverse("basedb:entity_detail", args=[record.entity.public_id]),
    ]
    login(client, collector_a)
    for url in urls:
        client.get(url)  # builds the process-wide catalog spec cache
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        counts.append(len(one))
    for phone in ("13900000001", "13900000002", "13900000003"):
        batch = staged_batch(TOWNSHIP_A, [person(1, phone=phone, sex="2")], user=collector_a)
        merge_batch(batch, acting_user=officer_a)
    for code in ("P0102", "P0201"):  # the same person in two more subcategories: more records on the entity page
        keys = {i.key for i in build_table_spec(code).items}
        values = {k: v for k, v in person(1, current_address="东山街道1号", guardian_name="王").items() if k in keys}
        batch = staged_batch(TOWNSHIP_A, [values], subcategory=code, user=collector_a)
        merge_batch(batch, acting_user=officer_a)
    assert Record.objects.count() == 3
    for url, count in zip(urls, counts, strict=True):
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many) == count, "\n".join(q["sql"][:150] for q in many.captured_queries)
