"""The read-only catalog API: answers signed-in users and tokens, refuses anonymous callers, pins query counts."""

import pytest

from catalog.models import Category, CodeTable, DataElement, DataItem, Domain, Subcategory
from regions.tokens import issue_user_token

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/catalog/domains/",
    "/api/v1/catalog/categories/",
    "/api/v1/catalog/subcategories/",
    "/api/v1/catalog/elements/",
    "/api/v1/catalog/code-tables/",
]
DETAILS = [
    "/api/v1/catalog/domains/P/",
    "/api/v1/catalog/categories/P01/",
    "/api/v1/catalog/subcategories/P0101/",
    "/api/v1/catalog/elements/id_number/",
    "/api/v1/catalog/code-tables/GB_T_2261_1/",
    "/api/v1/catalog/summary/",
]


@pytest.fixture
def api(client, collector_a):
    client.force_login(collector_a)
    return client


def test_anonymous_callers_are_refused(client, catalog):
    for url in LISTS + DETAILS:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"


def test_a_token_holder_may_read(client, catalog, collector_b):
    raw = issue_user_token(collector_b, "catalog test")[1]
    for url in LISTS + DETAILS:
        assert client.get(url, headers={"Authorization": f"Token {raw}"}).status_code == 200, url


def test_list_endpoints_take_a_fixed_number_of_queries(api, catalog, django_assert_max_num_queries):
    for url in LISTS:
        with django_assert_max_num_queries(6):
            assert api.get(url).status_code == 200, url


def test_the_subcategory_detail_lists_items_in_order_in_few_queries(api, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/catalog/subcategories/H0101/").json()
    assert body["key_items"] == ["house_code"] and body["kind"] == "house"
    keys = [i["key"] for i in body["items"]]
    assert keys[:2] == ["house_code", "address"]
    address = body["items"][1]
    assert (address["name"], address["element_name"], address["required"]) == ("房屋地址", "地址", True)
    floors = next(i for i in body["items"] if i["key"] == "floors")
    assert floors["rules"] == {"min": 1, "max": 200}


def test_the_code_table_detail_lists_values_with_aliases(api, catalog):
    body = api.get("/api/v1/catalog/code-tables/GB_T_2261_1/").json()
    male = next(v for v in body["values"] if v["code"] == "1")
    assert (male["label"], male["aliases"]) == ("男性", ["男"])


def test_the_summary_counts_what_is_loaded(api, catalog):
    body = api.get("/api/v1/catalog/summary/").json()
    assert body == {
        "domains": Domain.objects.count(),
        "categories": Category.objects.count(),
        "subcategories": Subcategory.objects.filter(is_active=True).count(),
        "items": DataItem.objects.filter(subcategory__is_active=True).count(),
        "elements": DataElement.objects.count(),
        "code_tables": CodeTable.objects.count(),
        "version": catalog.version,
    }


def test_retired_subcategories_are_listed_only_on_request(api, catalog):
    Subcategory.objects.filter(code="P0102").update(is_active=False)
    active = [s["code"] for s in api.get("/api/v1/catalog/subcategories/").json()["results"]]
    retired = [s["code"] for s in api.get("/api/v1/catalog/subcategories/?is_active=false").json()["results"]]
    assert "P0102" not in active and retired == ["P0102"]


def test_subcategories_filter_by_category(api, catalog):
    body = api.get("/api/v1/catalog/subcategories/?category__code=P01").json()
    assert {s["category"] for s in body["results"]} == {"P01"}


def test_the_catalog_api_is_read_only(api, catalog):
    assert api.post("/api/v1/catalog/domains/", {"code": "X"}).status_code == 405


def test_the_schema_describes_every_catalog_endpoint_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/catalog/", include("catalog.api.urls"))])
    paths = generator.get_schema(request=None, public=True)["paths"]
    expected = {"/api/v1/catalog/summary/", "/api/v1/catalog/subcategories/{code}/", "/api/v1/catalog/elements/{key}/"}
    assert expected <= set(paths)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
