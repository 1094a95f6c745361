"""API tokens: `Authorization: Token <key>`, only a hash stored, 401 JSON in Chinese when the token is not good."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from regions.models import ApiToken
from regions.tokens import hash_token, issue_user_token, revoke_user_token

URL = "/api/v1/regions/"


def get(client, token: str | None = None, header: str | None = None):
    headers = {"Authorization": header or f"Token {token}"} if (token or header) else {}
    return client.get(URL, headers=headers)


def assert_unauthorised_in_chinese(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == "Token"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])


def test_a_valid_token_authenticates_its_user(client, collector_a):
    _, raw = issue_user_token(collector_a, "script")
    response = get(client, raw)
    assert response.status_code == 200
    assert [r["code"] for r in response.json()["results"]] == ["370602002"]


def test_only_the_hash_of_the_token_is_stored(collector_a):
    token, raw = issue_user_token(collector_a, "script")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_token(raw)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}


def test_a_wrong_token_gets_401_json_in_chinese(client, collector_a):
    issue_user_token(collector_a, "script")
    assert_unauthorised_in_chinese(get(client, "grt_00000000_not-a-real-secret"))


def test_a_revoked_token_gets_401(client, collector_a):
    token, raw = issue_user_token(collector_a, "script")
    revoke_user_token(token, acting_user=collector_a)
    assert_unauthorised_in_chinese(get(client, raw))


def test_an_expired_token_gets_401(client, collector_a):
    _, raw = issue_user_token(collector_a, "script", expires_at=timezone.now() - timedelta(seconds=1))
    assert_unauthorised_in_chinese(get(client, raw))


def test_a_token_of_a_deactivated_user_gets_401(client, collector_a):
    _, raw = issue_user_token(collector_a, "script")
    collector_a.is_active = False
    collector_a.save()
    assert_unauthorised_in_chinese(get(client, raw))


def test_a_malformed_authorization_header_gets_401(client, collector_a):
    assert_unauthorised_in_chinese(get(client, header="Token two parts"))


def test_no_credentials_at_all_gets_401_json_in_chinese(client, regions):
    assert_unauthorised_in_chinese(get(client))


def test_using_a_token_records_when_it_was_last_used(client, collector_a):
    token, raw = issue_user_token(collector_a, "script")
    get(client, raw)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_command_prints_a_token_once_that_works(client, collector_a):
    out = StringIO()
    call_command("create_user_token", "collector_a", "--name", "夜间导入", stdout=out)
    raw = next(line for line in out.getvalue().splitlines() if line.startswith("grt_"))
    assert get(client, raw).status_code == 200
    assert ApiToken.objects.get().name == "夜间导入"


def test_the_command_can_issue_a_token_that_expires(collector_a):
    call_command("create_user_token", "collector_a", "--name", "临时", "--days", "7", stdout=StringIO())
    assert ApiToken.objects.get().expires_at > timezone.now() + timedelta(days=6)


def test_the_command_refuses_an_unknown_user(regions):
    with pytest.raises(CommandError, match="不存在"):
        call_command("create_user_token", "nobody", "--name", "x", stdout=StringIO())


def test_the_command_prints_only_the_token_on_stdout(collector_a):
    out, err = StringIO(), StringIO()
    call_command("create_user_token", "collector_a", "--name", "脚本", stdout=out, stderr=err)
    assert out.getvalue().strip().startswith("grt_")
    assert len(out.getvalue().strip().splitlines()) == 1
    assert "只显示这一次" in err.getvalue()


def test_the_command_run_as_a_process_prints_only_the_token_on_stdout(tmp_path):
    """The JSON log handler writes to the process's stdout; the token line must be alone there."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LOG_LEVEL": "INFO"}
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, capture_output=True)
    create = "from django.contrib.auth import get_user_model; get_user_model().objects.create_user('script_user')"
    subprocess.run([*manage, "shell", "-c", create], env=env, check=True, capture_output=True)
    result = subprocess.run(
        [*manage, "create_user_token", "script_user", "--name", "夜间导入"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [result.stdout.strip()]
    assert result.stdout.startswith("grt_")
    assert "api token issued" in result.stderr
