"""Generated permission cases for the base-database pages of this module.

Covers: record page, entity page, board, board export, patch download (GET) and batch revert (POST), each for
anonymous (→ login), wrong role (a collector reverting: 404, the batch is not theirs to review), other region
(collector_b, other_county_officer: 404 or nothing of A's) and own region (collector_a, officer_a: 200/302).
"""

import pytest
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Record
from tests.conftest import PASSWORD, TOWNSHIP_A

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


@pytest.fixture
def record(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    return Record.objects.select_related("entity").get()


def urls(record) -> dict[str, str]:
    return {
        "record": reverse("basedb:record_detail", args=[record.pk]),
        "entity": reverse("basedb:entity_detail", args=[record.entity.public_id]),
        "board": reverse("basedb:board"),
        "export": reverse("basedb:board_export"),
        "patch": reverse("basedb:patch_download"),
    }


PAGES = ("record", "entity", "board", "export", "patch")
# Who sees A's record pages: 200 for A's staff, 404 for others; board/export/patch answer 200 to every signed-in user
# but only with what their region holds.
EXPECTED = {
    "collector_a": {"record": 200, "entity": 200},
    "officer_a": {"record": 200, "entity": 200},
    "city_officer": {"record": 200, "entity": 200},
    "collector_b": {"record": 404, "entity": 404},
    "other_county_officer": {"record": 404, "entity": 404},
}


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_users_are_sent_to_login(client, record, page):
    assert reverse("login") in client.get(urls(record)[page])["Location"]


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("page", PAGES)
def test_each_user_sees_their_region_only(client, record, who, page, request):
    client.login(username=request.getfixturevalue(who).username, password=PASSWORD)
    response = client.get(urls(record)[page])
    assert response.status_code == EXPECTED[who].get(page, 200)
    if page == "board" and who in ("collector_b", "other_county_officer"):
        assert f'data-code="{TOWNSHIP_A}"' not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status", "reverted"),
    [("collector_a", 404, False), ("collector_b", 404, False), ("other_county_officer", 404, False),
     ("officer_a", 302, True)],
)  # fmt: skip
def test_only_an_officer_of_the_region_reverts(client, record, who, status, reverted, request):
    client.login(username=request.getfixturevalue(who).username, password=PASSWORD)
    url = reverse("basedb:batch_revert", args=[record.last_batch_id])
    assert client.post(url, {"confirm": "1"}).status_code == status
    record.refresh_from_db()
    assert (record.status == "retired") is reverted


def test_anonymous_cannot_revert(client, record):
    response = client.post(reverse("basedb:batch_revert", args=[record.last_batch_id]))
    assert reverse("login") in response["Location"]
