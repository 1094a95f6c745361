"""Client tokens: revoked, disabled, expired and user tokens get 401; the rate limit gets 429; the access log."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from regions.tokens import issue_user_token
from sharing.clients import revoke_client, rotate_token
from sharing.models import AccessLog, ApiClient, ClientAuditEvent
from tests.sharing.conftest import expired_client, http, id_of, make_client

RECORDS = "/api/v1/records/?subcategory=P0101"


def test_a_live_token_reads(api):
    assert api.get(RECORDS).status_code == 200


def test_no_token_gets_401_json(base_data):
    response = APIClient().get(RECORDS)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_revoked_token_gets_401(client_token, platform_admin):
    client, token = client_token
    revoke_client(client, acting_user=platform_admin)
    response = http(token).get(RECORDS)
    assert response.status_code == 401
    assert response.json()["message"] == "接入方令牌已被吊销"
    assert ClientAuditEvent.objects.filter(client=client, action="revoke", acting_user=platform_admin).exists()


def test_an_expired_token_gets_401(base_data):
    _client, token = expired_client()
    response = http(token).get(RECORDS)
    assert response.status_code == 401
    assert "过期" in response.json()["message"]


def test_a_disabled_client_gets_401(client_token):
    ApiClient.objects.filter(pk=client_token[0].pk).update(enabled=False)
    assert http(client_token[1]).get(RECORDS).status_code == 401


def test_a_rotated_token_replaces_the_old_one(client_token, platform_admin):
    client, old = client_token
    new = rotate_token(client, acting_user=platform_admin)
    assert http(old).get(RECORDS).status_code == 401
    assert http(new).get(RECORDS).status_code == 200


def test_a_users_personal_token_cannot_use_the_sharing_api(base_data, city_officer):
    _token, raw = issue_user_token(city_officer, "测试")
    assert http(raw).get(RECORDS).status_code == 401


def test_a_users_session_cannot_use_the_sharing_api(base_data, city_officer):
    session = APIClient()
    session.force_login(city_officer)
    assert session.get(RECORDS).status_code in (401, 403)


def test_the_rate_limit_gets_429_with_a_chinese_message(base_data, monkeypatch):
    # All requests in one minute, whatever the wall clock does meanwhile.
    minute = timezone.now().replace(second=30)
    monkeypatch.setattr("sharing.ratelimit.timezone.now", lambda: minute)
    _client, token = make_client(name="限流", rate_limit=2)
    api = http(token)
    assert [api.get(RECORDS).status_code for _ in range(3)] == [200, 200, 429]
    body = api.get(RECORDS).json()
    assert body["code"] == "throttled" and "请求过于频繁" in body["message"]


def test_reads_of_personal_items_are_logged(api, client_token):
    api.get(RECORDS + "&page_size=2")
    entry = AccessLog.objects.get()
    assert (entry.client, entry.endpoint, entry.records, entry.status) == (client_token[0], "records", 2, 200)
    assert entry.params["subcategory"] == "P0101"


def test_a_match_by_id_number_is_logged_even_without_fields(api):
    api.post("/api/v1/match/", {"keys": [id_of(1)], "subcategories": ["P0101"]}, format="json")
    assert AccessLog.objects.get().params["keys"] == 1


def test_stats_are_not_personal_and_not_logged(api):
    api.get("/api/v1/stats/")
    assert not AccessLog.objects.exists()


def test_create_api_client_prints_only_the_token(base_data, capsys):
    call_command("create_api_client", "残联", "--subcategories", "P0209", "--region", "370602",
                 "--sensitivity", "internal", "--expires-days", "30")  # fmt: skip
    token = capsys.readouterr().out.strip()
    assert token.startswith("gra_") and "\n" not in token
    assert http(token).get("/api/v1/records/?subcategory=P0209").status_code == 200
    assert ApiClient.objects.get(name="残联").token_hash != token


def test_the_count_starts_again_in_the_next_minute(base_data, monkeypatch):
    now = [timezone.now().replace(second=10)]
    monkeypatch.setattr("sharing.ratelimit.timezone.now", lambda: now[0])
    api = http(make_client(name="限流", rate_limit=1)[1])
    assert [api.get(RECORDS).status_code for _ in range(2)] == [200, 429]
    now[0] += timedelta(minutes=1)
    assert api.get(RECORDS).status_code == 200
