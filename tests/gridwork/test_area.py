"""A grid worker's pages: exactly the people placed in its grid (counts, list, search, card), 404 elsewhere; a
village collector's pages cover its grids and the records placed at the village itself."""

import pytest

from regions.choices import Role
from tests.conftest import GRID_A, GRID_A2, GRID_B, TOWNSHIP_A, VILLAGE_A, make_user

from .conftest import correction_url, placed_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(sample_villages, catalog):
    """Two people in GRID_A, one in GRID_A2, one placed at VILLAGE_A, one unplaced, one in township B's grid."""
    return {
        "a1": placed_person(1, "张一", GRID_A), "a2": placed_person(2, "张二", GRID_A),
        "a2_other": placed_person(3, "张三", GRID_A2), "village": placed_person(4, "李四", VILLAGE_A),
        "township": placed_person(5, "王五", TOWNSHIP_A), "b": placed_person(6, "张六", GRID_B),
    }  # fmt: skip


def listed(response) -> list[str]:
    return [line.entity.display_name for line in response.context["lines"]]


def test_a_grid_worker_sees_exactly_the_people_placed_in_its_grid(client, town, grid_worker):
    client.force_login(grid_worker)
    response = client.get(f"/grid/areas/{GRID_A}/")
    assert sorted(listed(response)) == ["张一", "张二"]
    assert {t["kind"]: t["count"] for t in response.context["counts"]} == {"person": 2, "house": 0, "enterprise": 0}


def test_names_and_id_numbers_are_masked_on_the_list(client, town, grid_worker):
    client.force_login(grid_worker)
    body = client.get(f"/grid/areas/{GRID_A}/").content.decode()
    assert "张*" in body and "张一" not in body
    assert town["a1"].entity.key not in body and town["a1"].entity.key[-4:] in body


def test_another_grid_and_its_people_are_not_found(client, town, grid_worker):
    client.force_login(grid_worker)
    assert client.get(f"/grid/areas/{GRID_A2}/").status_code == 404
    assert client.get(f"/grid/areas/{VILLAGE_A}/").status_code == 404
    assert client.get(f"/grid/entities/{town['a2_other'].entity.public_id}/").status_code == 404
    assert client.get(correction_url(town["a2_other"])).status_code == 404


def test_a_village_collector_sees_its_grids_and_the_village_but_not_the_unplaced(client, town):
    client.force_login(make_user("village_a", Role.COLLECTOR, VILLAGE_A))
    assert sorted(listed(client.get(f"/grid/areas/{VILLAGE_A}/"))) == ["张一", "张二", "李四"]
    assert client.get(f"/grid/areas/{GRID_A}/").status_code == 200
    assert client.get(f"/grid/entities/{town['township'].entity.public_id}/").status_code == 404


def test_search_by_id_number_is_posted_and_stays_in_the_grid(client, town, grid_worker):
    client.force_login(grid_worker)
    found = client.post(f"/grid/areas/{GRID_A}/search/", {"q": town["a1"].entity.key}).context["found"]
    assert [line.entity.pk for line in found] == [town["a1"].entity_id]
    elsewhere = client.post(f"/grid/areas/{GRID_A}/search/", {"q": town["a2_other"].entity.key}).context["found"]
    assert elsewhere == []


def test_search_by_name_finds_by_its_beginning_in_the_grid_only(client, town, grid_worker):
    client.force_login(grid_worker)
    found = client.post(f"/grid/areas/{GRID_A}/search/", {"q": "张"}).context["found"]
    assert sorted(line.entity.display_name for line in found) == ["张一", "张二"]


def test_the_card_shows_the_persons_record_masked(client, town, grid_worker):
    client.force_login(grid_worker)
    response = client.get(f"/grid/entities/{town['a1'].entity.public_id}/")
    body = response.content.decode()
    assert (response.status_code == 200 and "户籍人口" in body) or "P0101" in body
    assert town["a1"].values["id_number"] not in body and "13800000001" not in body
    assert [c.may_correct for c in response.context["cards"]] == [True]


def test_the_home_page_of_a_grid_worker_leads_to_its_grid(client, town, grid_worker):
    client.force_login(grid_worker)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == f"/grid/areas/{GRID_A}/"


def test_a_township_collector_keeps_its_home_page_and_may_open_its_villages(client, town, township_a_collector):
    client.force_login(township_a_collector)
    assert client.get("/").status_code == 200
    assert client.get(f"/grid/areas/{VILLAGE_A}/").status_code == 200
