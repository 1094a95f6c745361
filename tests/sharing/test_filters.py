"""The `v.<item>__op` filter syntax of /api/v1/records/: equality, lists, ranges on numbers and dates, isnull; bad
parameters get 400 naming the parameter; items a client may not read cannot be filtered on."""

import pytest

from basedb.models import Record
from tests.sharing.conftest import http, id_of, make_client

DIBAO_URL = "/api/v1/records/?subcategory=P0301"


@pytest.fixture
def personal_api(base_data):
    return http(make_client(name="民政核查", sensitivity="personal")[1])


def people(api, query: str) -> list[int]:
    response = api.get(f"{DIBAO_URL}&{query}")
    assert response.status_code == 200, response.json()
    return sorted(int(r["values"]["name"].removeprefix("测试")) for r in response.json()["results"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("v.monthly_amount__gte=650", [2, 6]),
        ("v.monthly_amount__gt=650", [2]),
        ("v.monthly_amount__lt=650", [1]),
        ("v.monthly_amount__lte=650", [1, 6]),
        ("v.monthly_amount=650", [6]),
        ("v.monthly_amount=650.0", [6]),
        ("v.monthly_amount__in=500,800", [1, 2]),
        ("v.monthly_amount__gte=600&v.monthly_amount__lte=700", [6]),
        ("v.birth_date__gte=1985-07-15", [2, 6]),
        ("v.birth_date__lt=1985-07-15", [1]),
        ("v.birth_date=2001-12-31", [6]),
        ("v.sex=1", [2, 6]),
        ("v.sex__in=1,2", [1, 2, 6]),
        ("v.poverty_cause__isnull=true", [1, 2, 6]),
        ("v.poverty_cause__isnull=false", []),
        ("v.name__isnull=false", [1, 2, 6]),
    ],
)
def test_item_filters_select_the_right_records(personal_api, query, expected):
    assert people(personal_api, query) == expected


def test_an_id_number_filter_is_normalised_like_the_intake(personal_api):
    assert people(personal_api, f"v.id_number={id_of(2).lower()}%20") == [2]


def test_an_empty_value_counts_as_null_and_does_not_break_a_numeric_range(personal_api):
    record = Record.objects.get(subcategory__code="P0301", entity__key=id_of(2))
    record.values = {**record.values, "monthly_amount": "", "poverty_cause": "因病"}
    record.save()
    assert people(personal_api, "v.monthly_amount__gte=0") == [1, 6]
    assert people(personal_api, "v.monthly_amount__isnull=true") == [2]
    assert people(personal_api, "v.poverty_cause__isnull=false") == [2]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("v.monthly_amount__gte=abc", "v.monthly_amount__gte"),
        ("v.monthly_amount__gte=NaN", "v.monthly_amount__gte"),
        ("v.monthly_amount__gte=1e999", "v.monthly_amount__gte"),
        ("v.birth_date__gte=2020-13-01", "v.birth_date__gte"),
        ("v.no_such_item=1", "v.no_such_item"),
        ("v.name__gte=张", "v.name__gte"),
        ("v.monthly_amount__between=1", "v.monthly_amount__between"),
        ("v.sex__isnull=maybe", "v.sex__isnull"),
        ("v.sex__in=", "v.sex__in"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("cursor=-1", "cursor"),
        ("region=37060", "region"),
        ("updated_since=yesterday", "updated_since"),
        ("fields=name,salary", "fields"),
    ],
)
def test_a_bad_parameter_gets_400_naming_it(personal_api, query, param):
    response = personal_api.get(f"{DIBAO_URL}&{query}")
    assert response.status_code == 400
    assert response.json()["param"] == param


def test_a_missing_subcategory_gets_400(personal_api):
    assert personal_api.get("/api/v1/records/").json()["param"] == "subcategory"


def test_a_client_cannot_filter_on_an_item_it_may_not_read(api):
    response = api.get(f"{DIBAO_URL}&v.monthly_amount__gte=600")
    assert response.status_code == 400
    assert response.json() == {
        "code": "item_not_readable", "message": response.json()["message"], "param": "v.monthly_amount__gte",
    }  # fmt: skip


def test_a_client_may_look_up_its_own_key_items_by_equality(api):
    rows = api.get(f"{DIBAO_URL}&v.id_number={id_of(6)}").json()["results"]
    assert [r["values"]["name"] for r in rows] == ["测试6"]


def test_fields_narrow_the_values(personal_api):
    rows = personal_api.get(f"{DIBAO_URL}&fields=name,monthly_amount").json()["results"]
    assert {tuple(sorted(r["values"])) for r in rows} == {("monthly_amount", "name")}


def test_updated_since_in_the_future_returns_nothing(personal_api):
    assert people(personal_api, "updated_since=2999-01-01T00:00:00%2B08:00") == []
