"""Personal items on the web (issue 11 item 8): masked on the record, entity and list pages for every role; a user
who collects or reviews the record's region reveals one record with a reason (POST), written to the personal-data
access log (with the key's keyed hash) and to the audit trail; administrators find it by person."""

import pytest

from basedb.models import Record
from regions.choices import Action
from sharing.lookups import hash_key
from sharing.models import AccessLog
from tests.sharing.conftest import id_of


def masked(id_number: str) -> str:
    return id_number[:6] + "********" + id_number[-4:]


@pytest.fixture
def dibao(base_data, officer_a) -> Record:
    """Person 1's 低保 record: an ID number, a birth date and a monthly amount (personal items)."""
    return Record.objects.restrict(officer_a, Action.VIEW).get(subcategory__code="P0301", entity__key=id_of(1))


def test_the_record_page_masks_personal_items_for_every_role(client, officer_a, dibao):
    client.force_login(officer_a)
    body = client.get(f"/basedb/records/{dibao.pk}/").content.decode()
    assert id_of(1) not in body and masked(id_of(1)) in body and "1950-03-01" not in body
    assert "查看明文" in body


def test_the_entity_page_and_the_list_mask_the_key(client, officer_a, dibao):
    client.force_login(officer_a)
    assert id_of(1) not in client.get(f"/basedb/entities/{dibao.entity.public_id}/").content.decode()
    assert id_of(1) not in client.get("/basedb/").content.decode()


def test_a_reveal_with_a_reason_shows_the_record_and_is_logged(client, officer_a, dibao):
    from regions.models import AuditEvent

    client.force_login(officer_a)
    body = client.post(f"/sharing/reveal/records/{dibao.pk}/", {"reason": "verify"}).content.decode()
    assert id_of(1) in body and "1950-03-01" in body and "已记入个人信息访问日志" in body
    log = AccessLog.objects.get(endpoint="reveal")
    assert (log.user, log.client, log.region_id, log.reason) == (officer_a, None, dibao.region_id, "核实身份或联系本人")
    assert list(log.keys.values_list("key_hash", "matched")) == [(hash_key(id_of(1)), True)]
    event = AuditEvent.objects.get(verb="reveal")
    assert event.actor_user_id == officer_a.pk and "id_number" in event.after["items"]
    assert id_of(1) not in client.get(f"/basedb/records/{dibao.pk}/").content.decode()  # masked again


def test_a_reveal_needs_a_reason_from_the_list_and_a_post(client, officer_a, dibao):
    client.force_login(officer_a)
    assert client.post(f"/sharing/reveal/records/{dibao.pk}/", {"reason": "好奇"}).status_code == 403
    assert client.get(f"/sharing/reveal/records/{dibao.pk}/?reason=verify").status_code == 405
    assert not AccessLog.objects.exists()


def test_an_officer_of_another_county_cannot_reveal(client, other_county_officer, dibao):
    client.force_login(other_county_officer)
    assert client.post(f"/sharing/reveal/records/{dibao.pk}/", {"reason": "verify"}).status_code == 404


def test_administrators_find_the_reveal_by_person_and_by_user(client, officer_a, platform_admin, dibao):
    client.force_login(officer_a)
    client.post(f"/sharing/reveal/records/{dibao.pk}/", {"reason": "service"})
    client.force_login(platform_admin)
    rows = client.post("/sharing/access-log/", {"person": id_of(1)}).context["rows"]
    assert [(e.endpoint, e.user.username) for e in rows] == [("reveal", "officer_a")]
    assert len(client.get("/sharing/access-log/", {"user": "officer_a"}).context["rows"]) == 1
    assert "办理业务或提供服务" in client.get("/sharing/access-log/").content.decode()


def test_the_entity_page_reveals_its_records_with_a_reason_each_logged(client, officer_a, dibao):
    from regions.models import AuditEvent

    client.force_login(officer_a)
    url = f"/basedb/entities/{dibao.entity.public_id}/"
    assert "查看明文" in client.get(url).content.decode()
    body = client.post(f"/sharing/reveal/entities/{dibao.entity.public_id}/", {"reason": "dispute"}).content.decode()
    assert id_of(1) in body and "1950-03-01" in body and "已逐条记入个人信息访问日志" in body
    logs = AccessLog.objects.filter(endpoint="reveal", user=officer_a)
    assert sorted(log.params["subcategory"] for log in logs) == ["P0101", "P0301"]  # person 1's two records
    assert {log.reason for log in logs} == {"处理投诉、纠纷或举报"}
    assert {k for log in logs for k in log.keys.values_list("key_hash", flat=True)} == {hash_key(id_of(1))}
    assert AuditEvent.objects.filter(verb="reveal", actor_user=officer_a).count() == 2
    assert id_of(1) not in client.get(url).content.decode()  # masked again


def test_an_entity_reveal_needs_a_reason_and_a_role_that_collects_or_reviews(client, officer_a, dibao):
    from regions.choices import Role
    from tests.conftest import TOWNSHIP_A, make_user

    client.force_login(officer_a)
    url = f"/sharing/reveal/entities/{dibao.entity.public_id}/"
    assert client.post(url, {"reason": "好奇"}).status_code == 403
    assert client.get(url).status_code == 405
    client.force_login(make_user("grid_a", Role.GRID_WORKER, TOWNSHIP_A))  # views the township, fixes nothing
    assert client.post(url, {"reason": "verify"}).status_code == 403
    assert not AccessLog.objects.exists()


def test_an_officer_of_another_county_cannot_reveal_the_entity(client, other_county_officer, dibao):
    client.force_login(other_county_officer)
    assert client.post(f"/sharing/reveal/entities/{dibao.entity.public_id}/", {"reason": "verify"}).status_code == 404
