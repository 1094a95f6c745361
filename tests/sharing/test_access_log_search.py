"""The access log page answers "who saw this person's data, and when" (issue 11 item 8): by person (an ID number
POSTed, searched by its keyed hash, never in a URL), by user, by client, and by a time range to the minute."""

from datetime import datetime

import pytest
from django.utils import timezone

from sharing.lookups import Lookup, log_keys
from sharing.models import AccessLog
from tests.conftest import TOWNSHIP_A
from tests.sharing.conftest import make_client

DAY = "2026-11-20"
PERSON = "370602199001000001"


def _log(user, when: str, endpoint: str = "reveal", client=None, key: str | None = PERSON) -> AccessLog:
    log = AccessLog.objects.create(user=user, client=client, region_id=TOWNSHIP_A, endpoint=endpoint, method="POST",
                                   status=200, records=1)  # fmt: skip
    moment = timezone.make_aware(datetime.fromisoformat(when), timezone.get_current_timezone())
    AccessLog.objects.filter(pk=log.pk).update(created_at=moment)
    if key:
        log_keys(log, Lookup([key], matched={key}))
    return log


@pytest.fixture
def logs(catalog, officer_a, collector_a):
    client = make_client(name="民政局", codes=("P0101",))[0]
    return {
        "early": _log(officer_a, f"{DAY} 08:00"),
        "ten": _log(collector_a, f"{DAY} 10:00:59", endpoint="batch_report"),
        "half": _log(officer_a, f"{DAY} 10:30", key="370602199001000002"),
        "api": _log(None, f"{DAY} 11:00", endpoint="entities", client=client, key=None),
        "next": _log(officer_a, "2026-11-21 09:00"),
    }


def found(response) -> set[int]:
    return {e.pk for e in response.context["rows"]}


@pytest.fixture
def admin(client, platform_admin):
    client.force_login(platform_admin)
    return client


def test_a_time_range_is_searched_to_the_minute(admin, logs):
    answer = admin.get("/sharing/access-log/", {"date_from": DAY, "time_from": "09:00", "date_to": DAY,
                                                "time_to": "10:00"})  # fmt: skip
    assert found(answer) == {logs["ten"].pk}


def test_a_date_without_a_time_means_the_whole_day(admin, logs):
    answer = admin.get("/sharing/access-log/", {"date_from": DAY, "date_to": DAY})
    assert found(answer) == {logs[k].pk for k in ("early", "ten", "half", "api")}


def test_a_time_without_its_date_is_an_error_not_everything(admin, logs):
    answer = admin.get("/sharing/access-log/", {"time_from": "09:00"})
    assert found(answer) == set() and "填写时刻时请同时选择日期" in answer.content.decode()


def test_a_person_is_searched_by_post_with_the_time_range_user_and_client(admin, logs, officer_a):
    answer = admin.post("/sharing/access-log/", {"person": PERSON, "date_from": DAY, "date_to": DAY})
    assert found(answer) == {logs["early"].pk, logs["ten"].pk}
    answer = admin.post("/sharing/access-log/", {"person": PERSON, "user": "officer_a"})
    assert found(answer) == {logs["early"].pk, logs["next"].pk}
    client = logs["api"].client
    assert found(admin.get("/sharing/access-log/", {"client": client.pk})) == {logs["api"].pk}


def test_the_person_never_goes_into_the_page_links(admin, logs):
    body = admin.post("/sharing/access-log/", {"person": PERSON}).content.decode()
    assert f"person={PERSON}" not in body and "?person" not in body
    assert found(admin.get("/sharing/access-log/", {"person": PERSON})) == {log.pk for log in logs.values()}  # ignored


def test_web_rows_say_what_was_done_in_chinese(admin, logs):
    body = admin.get("/sharing/access-log/").content.decode()
    assert "网页：查看明文" in body and "下载：本乡镇批次批注版 / 有误的行（明文）" in body and "POST entities" in body
