"""Query parameters the sharing API does not know get 400 naming them: a mistyped filter must never silently
return unfiltered data."""

import pytest

from .conftest import id_of


@pytest.mark.parametrize(
    ("url", "query", "param"),
    [
        ("/api/v1/records/", {"subcategory": "P0101", "id_number": "x"}, "id_number"),
        ("/api/v1/records/", {"subcategory": "P0101", "phone": "13800000001"}, "phone"),
        ("/api/v1/records/", {"subcategory": "P0101", "sex": "1"}, "sex"),
        ("/api/v1/records/", {"subcategory": "P0101", "bogus__gt": "3"}, "bogus__gt"),
        ("/api/v1/changes/", {"since": "bad"}, "since"),
        ("/api/v1/stats/", {"subcategory": "P0101"}, "subcategory"),
        ("/api/v1/webhooks/", {"enabled": "true"}, "enabled"),
        (f"/api/v1/entities/{'0' * 32}/", {"fields": "name"}, "fields"),
    ],
)
def test_an_unknown_parameter_gets_400_naming_it(api, url, query, param):
    response = api.get(url, query)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "unknown_parameter"
    assert body["param"] == param and param in body["message"]


def test_an_item_name_without_prefix_is_told_to_use_v_prefix(api):
    body = api.get("/api/v1/records/", {"subcategory": "P0101", "id_number": id_of(1)}).json()
    assert "v.<数据项>" in body["message"] and "v.id_number" in body["message"]


def test_documented_parameters_and_item_filters_still_work(api):
    response = api.get("/api/v1/records/", {"subcategory": "P0101", "v.id_number": id_of(1), "page_size": 5})
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    assert api.get("/api/v1/changes/", {"cursor": 0, "page_size": 1, "subcategory": "P0101"}).status_code == 200
    assert api.get("/api/v1/stats/", {"region": "370602"}).status_code == 200
    assert api.get("/api/v1/records/", {"subcategory": "P0101", "format": "json"}).status_code == 200


def test_match_with_a_body_that_is_not_json_gets_400_invalid_json(api):
    response = api.post("/api/v1/match/", "{keys: [", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_json" and body["message"].startswith("请求体不是有效的 JSON")


def test_an_unknown_entity_kind_gets_400_naming_kind_and_the_valid_kinds(api):
    response = api.post("/api/v1/entities/lookup/", {"kind": "alien", "key": "1"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == "kind" and "person" in body["message"]
