"""Region pages and the region API list only what the user may view, in a fixed number of queries."""

from regions.samples import generate_sample_villages
from regions.tokens import issue_user_token
from tests.conftest import TOWNSHIP_A


def api_codes(client, user, query: str = "") -> list[str]:
    _, raw = issue_user_token(user, "test")
    return [
        r["code"]
        for r in client.get(f"/api/v1/regions/{query}", headers={"Authorization": f"Token {raw}"}).json()["results"]
    ]


def test_a_collector_lists_only_its_township(client, collector_a, collector_b):
    assert api_codes(client, collector_a) == [TOWNSHIP_A]


def test_a_county_officer_lists_its_county_and_its_12_townships(client, officer_a):
    codes = api_codes(client, officer_a)
    assert codes[0] == "370602" and len(codes) == 13


def test_the_api_filters_by_level_within_the_scope(client, city_officer):
    assert len(api_codes(client, city_officer, "?level=county")) == 13


def test_the_region_page_shows_sample_villages_as_sample_data(client, collector_a):
    generate_sample_villages([TOWNSHIP_A], villages=1, grids=1)
    client.force_login(collector_a)
    page = client.get(f"/regions/{TOWNSHIP_A}901/").content.decode()
    assert "示例数据" in page and "东山街道示例社区01第01网格" in page


def test_the_region_list_page_needs_a_fixed_number_of_queries(client, city_officer, django_assert_max_num_queries):
    client.force_login(city_officer)
    with django_assert_max_num_queries(8):
        response = client.get("/regions/")
    assert response.status_code == 200 and response.content.decode().count("<tr><td>") == 1 + 13 + 159


def test_the_region_api_list_needs_a_fixed_number_of_queries(client, city_officer, django_assert_max_num_queries):
    _, raw = issue_user_token(city_officer, "test")
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/regions/", headers={"Authorization": f"Token {raw}"}).status_code == 200
