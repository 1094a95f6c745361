"""Lookups by key through the sharing API (issue 11 item 4): every key looked up is logged as a keyed hash, hits and
misses, never in clear; a daily quota of keys per client; enumeration (many keys of one masked pattern, keys that
mostly miss) is refused in Chinese and flags the client for administrators."""

import hashlib
import hmac

import pytest
from django.conf import settings

from sharing.lookups import hash_key
from sharing.models import AccessLog, AccessLogKey, ApiClient
from tests.sharing.conftest import id_of

MATCH = "/api/v1/match/"


def match(api, keys, subcategories=("P0101",)):
    return api.post(MATCH, {"keys": list(keys), "subcategories": list(subcategories)}, format="json")


def logged(matched=None) -> set[str]:
    keys = AccessLogKey.objects.all() if matched is None else AccessLogKey.objects.filter(matched=matched)
    return set(keys.values_list("key_hash", flat=True))


def candidates(count: int, mask="370602", tail="1234") -> list[str]:
    """ID numbers a caller would try to unmask 370602********1234 (checksums aside)."""
    return [f"{mask}{19500101 + n:08d}{tail}" for n in range(count)]


def test_every_matched_key_is_logged_as_a_keyed_hash_hits_and_misses(api):
    unknown = "370602199901011111"
    assert match(api, [id_of(1), id_of(2), unknown]).status_code == 200
    assert logged(matched=True) == {hash_key(id_of(1)), hash_key(id_of(2))}
    assert logged(matched=False) == {hash_key(unknown)}
    log = AccessLog.objects.get()
    assert log.region_id == log.client.region_id and log.params["keys"] == 3
    stored = str(list(AccessLog.objects.values_list("params", flat=True))) + str(logged())
    assert id_of(1) not in stored and unknown not in stored


def test_the_keyed_hash_is_hmac_sha256_under_the_configured_secret(settings):
    settings.ACCESS_LOG_HMAC_KEY = "k"
    expected = hmac.new(b"k", id_of(1).encode(), hashlib.sha256).hexdigest()
    assert hash_key(id_of(1)) == expected and hash_key(id_of(1).lower()) == expected


def test_the_default_hash_key_derives_from_the_secret_key_and_is_not_the_secret_key():
    assert settings.ACCESS_LOG_HMAC_KEY and settings.SECRET_KEY not in settings.ACCESS_LOG_HMAC_KEY


def test_an_id_number_filter_on_records_is_logged_hashed_and_never_in_clear(api):
    unknown = "370602199901011111"
    response = api.get("/api/v1/records/", {"subcategory": "P0101", "v.id_number__in": f"{id_of(1)},{unknown}"})
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    assert logged(matched=True) == {hash_key(id_of(1))} and logged(matched=False) == {hash_key(unknown)}
    params = AccessLog.objects.get().params
    assert "个标识" in params["v.id_number__in"] and id_of(1) not in str(params)


def test_the_entity_read_logs_its_key_hashed(api):
    api.post("/api/v1/entities/lookup/", {"kind": "person", "key": id_of(1)}, format="json")
    assert logged(matched=True) == {hash_key(id_of(1))}


def test_a_client_over_its_daily_key_quota_is_refused_in_chinese(api, settings):
    settings.SHARING_DAILY_KEY_QUOTA = 4
    assert match(api, [id_of(1), id_of(2), id_of(3)]).status_code == 200
    response = match(api, [id_of(4), id_of(5)])
    assert response.status_code == 429
    assert response.json()["code"] == "key_quota_exceeded" and "每日 4 个，今日已查 3 个" in response.json()["message"]
    assert AccessLog.objects.filter(status=429).count() == 1
    assert AccessLogKey.objects.filter(matched__isnull=True).count() == 2  # refused keys are logged, not looked up


def test_many_keys_of_one_masked_pattern_are_refused_and_flag_the_client(api, client_token):
    response = match(api, [*candidates(20), id_of(1)])
    assert response.status_code == 403 and "疑似由掩码枚举身份证号" in response.json()["message"]
    client = ApiClient.objects.get(pk=client_token[0].pk)
    assert client.flagged_at and "370602********1234" in client.flag_reason
    assert client.audit.filter(action="flag").exists()
    assert AccessLogKey.objects.filter(matched__isnull=True).count() == 21


def test_a_few_keys_of_one_pattern_pass(api):
    assert match(api, candidates(19)).status_code == 200


def test_a_request_whose_keys_mostly_miss_is_refused_and_flags_the_client(api, client_token, settings):
    settings.SHARING_ENUM_MIN_KEYS = 20
    keys = [id_of(1), *[f"37060219{n:010d}" for n in range(39)]]
    response = match(api, keys)
    assert response.status_code == 403 and "未命中" in response.json()["message"]
    assert "results" not in response.json()
    assert ApiClient.objects.get(pk=client_token[0].pk).flagged_at is not None
    assert len(logged(matched=False)) == 39 and logged(matched=True) == {hash_key(id_of(1))}
    assert AccessLog.objects.get().records == 0


def test_a_day_of_small_requests_that_mostly_miss_is_refused(api, settings):
    settings.SHARING_ENUM_MIN_KEYS = 20
    statuses = [match(api, [f"37060219{n:06d}{i:04d}" for n in range(5)]).status_code for i in range(5)]
    assert statuses == [200, 200, 200, 403, 403]


def test_a_request_with_most_keys_found_passes(api, settings):
    settings.SHARING_ENUM_MIN_KEYS = 4
    assert match(api, [id_of(n) for n in (1, 2, 3, 4)] + ["370602199901011111"]).status_code == 200


@pytest.fixture
def admin_web(client, platform_admin):
    client.force_login(platform_admin)
    return client


def test_administrators_see_the_flag_and_clear_it_with_a_note(api, admin_web, client_token):
    match(api, candidates(25))
    pk = client_token[0].pk
    assert "疑似枚举" in admin_web.get("/sharing/").content.decode()
    assert "解除标记" in admin_web.get(f"/sharing/clients/{pk}/").content.decode()
    admin_web.post(f"/sharing/clients/{pk}/unflag/", {"note": "核实为正常比对"})
    client = ApiClient.objects.get(pk=pk)
    assert client.flagged_at is None and client.audit.filter(action="unflag", note="核实为正常比对").exists()


def test_an_officer_cannot_clear_a_flag(client, officer_a, client_token):
    client.force_login(officer_a)
    assert client.post(f"/sharing/clients/{client_token[0].pk}/unflag/", {"note": "x"}).status_code == 403


def test_administrators_find_who_looked_a_person_up_by_a_posted_id_number(api, admin_web):
    match(api, [id_of(1), id_of(2)])
    api.get("/api/v1/records/", {"subcategory": "P0101", "v.id_number": id_of(3)})
    found = admin_web.post("/sharing/access-log/", {"person": id_of(1).lower()})
    assert [e.endpoint for e in found.context["rows"]] == ["match"]
    assert [e.endpoint for e in admin_web.post("/sharing/access-log/", {"person": id_of(3)}).context["rows"]] == [
        "records"
    ]
    assert id_of(1) not in found.content.decode().replace(f'value="{id_of(1).lower()}"', "")
    # A GET never searches by person: the number would be in the URL.
    assert len(admin_web.get("/sharing/access-log/", {"person": id_of(3)}).context["rows"]) == 2


def test_an_administrator_of_another_county_finds_nothing_of_a_client_outside(api, client, regions):
    from regions.choices import Role
    from tests.conftest import OTHER_COUNTY, make_user

    match(api, [id_of(1)])
    client.force_login(make_user("admin_other", Role.PLATFORM_ADMIN, OTHER_COUNTY))
    assert list(client.post("/sharing/access-log/", {"person": id_of(1)}).context["rows"]) == []


def test_the_flag_is_in_the_audit_trail_with_the_client_as_actor(api, client_token):
    from regions.models import AuditEvent

    match(api, candidates(20))
    event = AuditEvent.objects.get(verb="change_client", object_id=str(client_token[0].pk))
    assert event.actor_kind == "client" and "370602********1234" in event.note
