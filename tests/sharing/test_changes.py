"""The change feed replays every change in scope exactly once across pages, whatever the page size, and a client
that keeps its cursor sees only later changes."""

import pytest

from basedb.merge import merge_batch
from basedb.models import RecordVersion
from basedb.revert import revert_batch
from tests.basedb.conftest import person, staged_batch
from tests.conftest import COUNTY_A, TOWNSHIP_A, TOWNSHIP_B


def feed(api, cursor: int = 0, page_size: int = 100) -> tuple[list[dict], int]:
    """Every change after `cursor`, page by page; returns them and the last cursor."""
    changes = []
    while True:
        body = api.get("/api/v1/changes/", {"cursor": cursor, "page_size": page_size}).json()
        changes += body["results"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return changes, cursor


def expected_ids(client, after: int = 0) -> list[int]:
    return list(
        RecordVersion.objects.filter(
            id__gt=after, subcategory__in=client.subcategories.all(), region__code__startswith=COUNTY_A
        ).order_by("id").values_list("id", flat=True)
    )  # fmt: skip


def churn(user) -> None:
    """Updates in both townships of county A, new records, then a batch reverted (retires and restores)."""
    updates = staged_batch(TOWNSHIP_A, [person(n, phone=f"139{n:08d}") for n in (1, 2, 3)])
    merge_batch(updates, acting_user=user)
    merge_batch(staged_batch(TOWNSHIP_B, [person(n, name=f"改名{n}") for n in (6, 7)]), acting_user=user)
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(20, 27)]), acting_user=user)
    late = staged_batch(TOWNSHIP_A, [person(n) for n in range(30, 33)] + [person(4, phone="13700000004")])
    merge_batch(late, acting_user=user)
    revert_batch(late, acting_user=user)


@pytest.mark.parametrize("page_size", [1, 3, 7, 100])
def test_every_change_is_replayed_exactly_once(api, client_token, city_officer, page_size):
    churn(city_officer)
    changes, _cursor = feed(api, page_size=page_size)
    assert [c["id"] for c in changes] == expected_ids(client_token[0])
    assert {c["action"] for c in changes} >= {"create", "update", "retire"}


def test_a_kept_cursor_sees_only_later_changes(api, client_token, city_officer):
    first, cursor = feed(api, page_size=5)
    churn(city_officer)
    later, _ = feed(api, cursor=cursor, page_size=4)
    assert [c["id"] for c in first + later] == expected_ids(client_token[0])
    assert min(c["id"] for c in later) > cursor


def test_an_update_reports_only_the_changed_items_masked(api, city_officer):
    _, cursor = feed(api)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13912345678")]), acting_user=city_officer)
    changes, _ = feed(api, cursor=cursor)
    assert [(c["action"], c["changes"]) for c in changes] == [("update", {"phone": ["138****0001", "139****5678"]})]


def test_the_cursor_must_be_a_number(api):
    response = api.get("/api/v1/changes/", {"cursor": "abc"})
    assert (response.status_code, response.json()["param"]) == (400, "cursor")
