"""The rules API: a sharing client reads the rules it was granted and their results in its region, masked by its
sensitivity and logged in the access log; the pinned rules' exact work lists through the API."""

import pytest

from matching.grants import grant_rule
from matching.models import Rule
from sharing.models import AccessLog
from tests.conftest import COUNTY_A, TOWNSHIP_A, TOWNSHIP_B
from tests.sharing.conftest import http, make_client

from .scenario import BY_NAME, EXPECTED, PINNED, evaluate_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(town):
    evaluate_json()
    return town


def granted_client(rules=PINNED, region=COUNTY_A, sensitivity="internal", **extra):
    client, token = make_client(name=f"客户端{region}{sensitivity}", codes=("P0101",), region=region,
                                sensitivity=sensitivity, **extra)  # fmt: skip
    for code in rules:
        grant_rule(client, Rule.objects.get(code=code), acting_user=None)
    return client, http(token)


def names(body: dict) -> set[tuple[str, str]]:
    by_id = {p.id_number: p.name for p in BY_NAME.values()}
    masked = {p.id_number[:6] + "********" + p.id_number[-4:]: p.name for p in BY_NAME.values()}
    return {(r["region"], by_id.get(r["entity"]["key"]) or masked[r["entity"]["key"]]) for r in body["results"]}


@pytest.mark.parametrize("rule", PINNED)
def test_the_api_returns_exactly_the_pinned_work_lists(evaluated, rule):
    _client, api = granted_client(sensitivity="personal")
    body = api.get(f"/api/v1/rules/{rule}/results/").json()
    assert names(body) == EXPECTED[rule]


def test_the_rule_list_holds_only_granted_rules(evaluated):
    _client, api = granted_client(rules=("medical_insurance_gap",))
    body = api.get("/api/v1/rules/").json()
    assert [r["code"] for r in body] == ["medical_insurance_gap"]
    assert body[0]["department"] == "市医保局" and "社会保险法" in body[0]["basis"]


def test_results_are_scoped_by_the_client_region_masked_and_logged(evaluated):
    client, api = granted_client(region=TOWNSHIP_A)
    body = api.get("/api/v1/rules/medical_insurance_gap/results/").json()
    (result,) = body["results"]
    wang = BY_NAME["王二"]
    assert result["region"] == TOWNSHIP_A and result["status"] == "pending"
    assert result["entity"]["key"] == wang.id_number[:6] + "********" + wang.id_number[-4:]
    assert result["values"]["name"] == "王二" and "birth_date" not in result["values"]
    assert result["values"]["phone"].startswith("138****")
    assert result["reasons"] == ["无“医疗保险参保人员”有效记录", "无“死亡人口”有效记录"]
    log = AccessLog.objects.get(client=client)
    assert (log.endpoint, log.records, log.params["rule"]) == ("rule_results", 1, "medical_insurance_gap")


def test_an_ungranted_rule_is_a_404_like_an_unknown_one(evaluated):
    _client, api = granted_client(rules=("medical_insurance_gap",))
    for code in ("elderly_allowance_gap", "no_such_rule"):
        response = api.get(f"/api/v1/rules/{code}/results/")
        assert response.status_code == 404 and response.json()["code"] == "rule_not_found"


def test_results_page_by_cursor(evaluated):
    _client, api = granted_client()
    first = api.get("/api/v1/rules/elderly_allowance_gap/results/?page_size=2").json()
    second = api.get(f"/api/v1/rules/elderly_allowance_gap/results/?page_size=2&cursor={first['next_cursor']}").json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1 and second["next_cursor"] is None
    regions = [r["region"] for r in first["results"] + second["results"]]
    assert sorted(regions) == sorted([TOWNSHIP_A, TOWNSHIP_A, TOWNSHIP_B])


def test_bad_parameters_get_400_naming_them(evaluated):
    _client, api = granted_client()
    assert api.get("/api/v1/rules/medical_insurance_gap/results/?status=open").json()["param"] == "status"
    assert api.get("/api/v1/rules/medical_insurance_gap/results/?colour=red").json()["code"] == "unknown_parameter"


def test_a_platform_users_token_is_refused(evaluated, collector_a):
    from regions.tokens import issue_user_token

    api = http(issue_user_token(collector_a, "test")[1])
    assert api.get("/api/v1/rules/").status_code in (401, 403)
