"""The 操作记录 page and its export: scoped by region (an officer of another county sees none of county A's
events), searched by actor, verb, region, time and object, paginated, exported as xlsx."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from collection import review
from regions.audit import record_event
from regions.choices import AuditVerb
from regions.models import AuditEvent
from tests.basedb.conftest import person, staged_batch
from tests.conftest import OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.usefixtures("catalog", "regions")
PAGE, EXPORT = "/regions/audit/", "/regions/audit/export/"


@pytest.fixture
def returned(officer_a, collector_a):
    batch = staged_batch(TOWNSHIP_A, [person(1)], user=collector_a)
    review.return_batch(batch, acting_user=officer_a, reason="请核对第2行")
    return batch


def rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_an_officer_finds_the_return_of_a_batch_of_the_county(client, officer_a, returned):
    client.force_login(officer_a)
    page = client.get(PAGE, {"verb": AuditVerb.RETURN}).content.decode()
    assert "officer_a" in page and "退回" in page and "请核对第2行" in page and str(returned) in page


def test_an_officer_of_another_county_sees_none_of_its_events(client, other_county_officer, returned):
    client.force_login(other_county_officer)
    page = client.get(PAGE).content.decode()
    assert "请核对第2行" not in page and "没有符合条件的操作记录" in page
    assert "请核对第2行" not in str(rows(client.get(EXPORT)))


def test_a_collector_may_not_open_the_page_nor_export(client, collector_a):
    client.force_login(collector_a)
    assert client.get(PAGE).status_code == 403 and client.get(EXPORT).status_code == 403


def test_the_search_narrows_by_actor_region_object_and_time(client, platform_admin, officer_a, collector_b):
    record_event(AuditVerb.RETURN, actor=officer_a, object_type="collection.batch", object_id=11, region=TOWNSHIP_A,
                 note="甲")  # fmt: skip
    record_event(AuditVerb.UPLOAD, actor=collector_b, object_type="collection.batch", object_id=12, region=TOWNSHIP_B,
                 note="乙")  # fmt: skip
    client.force_login(platform_admin)

    def notes(**query) -> set[str]:
        page = client.get(PAGE, query).content.decode()
        return {n for n in ("甲", "乙") if f">{n}<" in page}

    assert notes() == {"甲", "乙"}
    assert notes(actor="collector_b") == {"乙"}
    assert notes(verb=AuditVerb.RETURN) == {"甲"}
    assert notes(region=TOWNSHIP_A) == {"甲"} and notes(region=OTHER_COUNTY) == set()
    assert notes(object="12") == {"乙"}
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert notes(date_from=tomorrow.isoformat()) == set() and notes(date_to=tomorrow.isoformat()) == {"甲", "乙"}
    assert "区划代码应为 4 至 15 位数字" in client.get(PAGE, {"region": "37x"}).content.decode()


def test_the_page_is_paginated(client, platform_admin, officer_a):
    AuditEvent.objects.bulk_create(
        AuditEvent(actor_kind="user", actor_label="officer_a", verb=AuditVerb.RETURN, region_id=TOWNSHIP_A)
        for _ in range(60)
    )
    client.force_login(platform_admin)
    page = client.get(PAGE, {"verb": AuditVerb.RETURN}).content.decode()
    assert 'class="pagination"' in page and "共 60 条" in page


def test_the_export_holds_the_searched_events_with_their_actor_and_region(client, officer_a, returned):
    client.force_login(officer_a)
    response = client.get(EXPORT, {"verb": AuditVerb.RETURN})
    header, *data = rows(response)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert header[:5] == ["时间", "操作者类型", "操作者", "命令行", "操作"]
    (row,) = data
    assert (row[2], row[4], row[8], row[12]) == ("officer_a", "退回", TOWNSHIP_A, "请核对第2行")


def test_the_list_costs_the_same_few_queries_for_many_events(client, platform_admin, django_assert_max_num_queries):
    AuditEvent.objects.bulk_create(
        AuditEvent(actor_kind="user", actor_label="x", verb=AuditVerb.UPLOAD, region_id=TOWNSHIP_A) for _ in range(50)
    )
    client.force_login(platform_admin)
    with django_assert_max_num_queries(8):
        assert client.get(PAGE).status_code == 200


def test_the_admin_lists_events_read_only(client, platform_admin, returned):
    platform_admin.is_superuser = True
    platform_admin.save()
    client.force_login(platform_admin)
    event = AuditEvent.objects.get(verb=AuditVerb.RETURN)
    assert "officer_a" in client.get("/admin/regions/auditevent/").content.decode()
    assert client.post(f"/admin/regions/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
