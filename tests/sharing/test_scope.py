"""A client reads only its subcategories in its region subtree: nothing outside leaks through records, match,
changes, stats or entity views; masking holds everywhere."""

from basedb.models import RecordVersion
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A
from tests.sharing.conftest import A_PEOPLE, B_PEOPLE, http, id_of, make_client

COUNTY_A_PEOPLE = A_PEOPLE + B_PEOPLE


def all_pages(api, url, **params):
    rows, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = api.get(url, query).json()
        rows += body["results"]
        cursor = body["next_cursor"]
        if not cursor or not body["results"] or body.get("has_more") is False:
            return rows


def test_records_are_those_of_its_region_only(api):
    rows = all_pages(api, "/api/v1/records/", subcategory="P0101", page_size=3)
    assert sorted(r["values"]["name"] for r in rows) == sorted(f"测试{n}" for n in COUNTY_A_PEOPLE)
    assert all(r["region"].startswith(COUNTY_A) for r in rows)


def test_records_of_a_subcategory_it_may_not_read_are_not_found(api):
    response = api.get("/api/v1/records/", {"subcategory": "P0209"})
    assert response.status_code == 404
    assert response.json()["code"] == "subcategory_not_found"


def test_records_of_another_county_come_back_empty(api):
    body = api.get("/api/v1/records/", {"subcategory": "P0101", "region": OTHER_COUNTY}).json()
    assert body["results"] == []


def test_records_mask_id_numbers_and_phones_and_omit_sensitive_items(api):
    rows = api.get("/api/v1/records/", {"subcategory": "P0301"}).json()["results"]
    assert rows
    for row in rows:
        assert row["values"]["id_number"].startswith("370602") and "*" in row["values"]["id_number"]
        assert "****" in row["values"]["phone"]
        assert "*" in row["entity"]["key"]
        assert "monthly_amount" not in row["values"]


def test_a_public_client_sees_names_masked(base_data):
    _client, token = make_client(name="公开", sensitivity="public")
    rows = http(token).get("/api/v1/records/", {"subcategory": "P0101"}).json()["results"]
    assert rows and all(r["values"]["name"] == "测**" for r in rows)
    assert all("birth_date" not in r["values"] for r in rows)


def test_a_personal_client_reads_in_clear(base_data):
    _client, token = make_client(name="公安", sensitivity="personal", region=TOWNSHIP_A)
    rows = http(token).get("/api/v1/records/", {"subcategory": "P0101"}).json()["results"]
    assert sorted(r["values"]["id_number"] for r in rows) == sorted(id_of(n) for n in A_PEOPLE)


def test_match_finds_keys_only_within_scope(api):
    keys = [id_of(1), id_of(3).lower() + " ", id_of(6), id_of(9), "nonsense"]
    body = api.post("/api/v1/match/", {"keys": keys, "subcategories": ["P0101", "P0301"]}, format="json").json()
    matched = {r["key"]: r["matched"] for r in body["results"]}
    assert matched == {
        id_of(1): ["P0101", "P0301"], id_of(3).lower() + " ": ["P0101"], id_of(6): ["P0101", "P0301"],
        id_of(9): [], "nonsense": [],
    }  # fmt: skip
    assert body["matched_keys"] == 3


def test_match_masks_requested_fields(api):
    request = {"keys": [id_of(1)], "subcategories": ["P0301"], "fields": ["name", "phone", "monthly_amount"]}
    body = api.post("/api/v1/match/", request, format="json").json()
    record = body["results"][0]["records"]["P0301"]
    assert record["name"] == "测试1"
    assert record["phone"].startswith("138") and "****" in record["phone"]
    assert "monthly_amount" not in record


def test_match_refuses_subcategories_it_may_not_read(api):
    response = api.post("/api/v1/match/", {"keys": [id_of(3)], "subcategories": ["P0209"]}, format="json")
    assert response.status_code == 404
    assert response.json()["param"] == "subcategories"


def test_entity_shows_only_visible_records(api):
    body = api.post("/api/v1/entities/lookup/", {"kind": "person", "key": id_of(3)}, format="json").json()
    assert [r["subcategory"] for r in body["records"]] == ["P0101"]
    assert "*" in body["records"][0]["values"]["id_number"]


def test_entity_of_another_county_is_not_found(api):
    response = api.post("/api/v1/entities/lookup/", {"kind": "person", "key": id_of(9)}, format="json")
    assert response.status_code == 404


def test_changes_contain_only_versions_in_scope(api, client_token):
    rows = all_pages(api, "/api/v1/changes/", page_size=4)
    allowed = {sc.pk for sc in client_token[0].subcategories.all()}
    expected = list(
        RecordVersion.objects.filter(subcategory_id__in=allowed, region__code__startswith=COUNTY_A)
        .order_by("id").values_list("id", flat=True)
    )  # fmt: skip
    assert [r["id"] for r in rows] == expected
    assert all("*" in r["entity"]["key"] for r in rows)
    assert all("*" in r["changes"]["id_number"][1] for r in rows)


def test_stats_count_only_in_scope(api):
    body = api.get("/api/v1/stats/").json()
    assert body["by_subcategory"] == {"P0101": len(COUNTY_A_PEOPLE), "P0301": 3}
    assert all(c["region"].startswith(COUNTY_A) for c in body["counts"])
    assert not any(c["subcategory"] == "P0209" for c in body["counts"])


def test_list_endpoints_use_a_fixed_number_of_queries(api, django_assert_max_num_queries, city_officer):
    from basedb.merge import merge_batch
    from tests.basedb.conftest import person, staged_batch

    api.get("/api/v1/records/?subcategory=P0101")  # warm the catalog spec cache
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(100, 160)]), acting_user=city_officer)
    for url in ("/api/v1/records/?subcategory=P0101", "/api/v1/changes/", "/api/v1/stats/"):
        with django_assert_max_num_queries(14):
            assert len(str(api.get(url).json())) > 100


def test_match_refuses_fields_no_requested_subcategory_has(api):
    response = api.post(
        "/api/v1/match/", {"keys": ["1"], "subcategories": ["P0101"], "fields": ["salary"]}, format="json"
    )
    assert (response.status_code, response.json()["param"]) == (400, "fields")
