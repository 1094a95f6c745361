"""The cross-county crawl of issue 11 ("Done when"): every route of the URLconf, asked by a collector of another
county, an officer of another county, a user with no role (and an API client of the other county on the API), after
township A's people are merged and township Y of another county has uploaded some of the same people, returns none of
A's ID numbers, phones or addresses (those Y did not upload itself) in any body or header.

The routes come from the resolver (tests/permissions/test_routes.py `routes()`); each parameter is filled with every
object of its kind in the database (batches, rows, records, entities by id and public id, conflicts, rules, work-list
entries, report forms and submissions, regions, API clients, webhooks ...), list pages are asked again with each
region of the scenario as `?region=`. Every route is asked with GET and with an empty POST (the POST in a rolled-back
savepoint, so the scenario stays as built); the search forms are posted with A's ID numbers. xlsx downloads are
unzipped and their XML searched, JSON is searched as decoded text, headers (Location included) as sent and
percent-decoded. One test builds the scenario once and reports every finding together.
"""

import contextlib
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from urllib.parse import unquote, urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import resolve

from basedb.models import Conflict, Entity, Record
from catalog.models import CodeTable
from collection.models import Batch, StagedRow
from matching.models import Rule, RuleGrant, WorkEntry
from regions.models import Region
from regions.tokens import issue_user_token
from reports.formbook import definition_of
from reports.models import ReportForm, Submission
from sharing.models import ApiClient, Webhook
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A
from tests.permissions import crawl_scenario
from tests.permissions.crawl_scenario import A_PEOPLE, TOWNSHIP_Y
from tests.permissions.test_routes import routes

pytestmark = pytest.mark.usefixtures("regions", "catalog")
PARAM = re.compile(r"<(?:\w+:)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")
# Routes asked again with each level of the scenario's regions as ?region= (drill-downs, lists and their downloads).
REGION_QUERY = ("basedb/", "basedb/board/", "basedb/board.xlsx", "basedb/sunk/", "reports/fill/<slug:code>/",
                "reports/fill/<slug:code>/report.xlsx", "matching/rules/<slug:code>/entries/",
                "matching/rules/<slug:code>/entries.xlsx", "api/v1/records/", "api/v1/stats/",
                "api/v1/rules/<slug:code>/results/", "collection/batches/", "collection/review/", "basedb/conflicts/",
                "regions/audit/", "basedb/tables/<str:code>/", "basedb/tables/<str:code>/export.xlsx")  # fmt: skip
# The admin answers every signed-in user without staff status the same redirect to its login: its index
# and change pages are asked, not every add, delete and history page of every model.
ADMIN_ASKED = ("admin/", "/change/")
SIGN_OUT = {"accounts/logout/", "admin/logout/"}  # would end the crawler's session; they read nothing
EXTRA_QUERIES = {
    "basedb/patch/": [
        {"region": code, "subcategory": sub} for code in (TOWNSHIP_A, TOWNSHIP_Y) for sub in ("P0101", "H0101")
    ],
    "basedb/conflicts/": [{"status": s} for s in ("open", "resolved", "all")],
    "basedb/board/": [{"county": COUNTY_A}, {"county": OTHER_COUNTY}],
    "grid/areas/<str:code>/": [{"kind": k} for k in ("person", "house", "enterprise")],
    "api/v1/records/": [{"subcategory": s} for s in ("P0101", "H0101")],
    "api/v1/changes/": [{"subcategory": s} for s in ("P0101", "H0101")],
}


def region_codes() -> list[str]:
    """The regions of the scenario: the city, both counties, both townships and their villages and grids."""
    under = [r.code for r in Region.objects.filter(code__startswith=TOWNSHIP_A[:9]).order_by("code")]
    under += [r.code for r in Region.objects.filter(code__startswith=TOWNSHIP_Y).order_by("code")]
    return ["3706", COUNTY_A, OTHER_COUNTY, *under]


def values_for(route: str) -> list[dict]:
    """Every filling of the route's parameters with the objects of the database."""
    names = [m["name"] or m["rname"] for m in PARAM.finditer(route)]
    if not names:
        return [{}]
    if route.startswith("admin/"):
        return admin_values(route, names)
    pk = lambda model: [{"pk": v} for v in model.objects.order_by("pk").values_list("pk", flat=True)]  # noqa: E731
    if "row_id" in names:
        return [{"pk": b, "row_id": r} for r, b in StagedRow.objects.values_list("pk", "batch_id")]
    if names == ["kind", "key"]:
        return [{"kind": k, "key": key} for k, key in Entity.objects.values_list("kind", "key")]
    if names == ["public_id"]:
        return [{"public_id": v} for v in Entity.objects.values_list("public_id", flat=True)]
    if names == ["public_id", "subcategory"]:
        pairs = Record.objects.values_list("entity__public_id", "subcategory__code")
        return [{"public_id": p, "subcategory": s} for p, s in pairs]
    table = {
        "basedb/conflicts/": lambda: pk(Conflict),
        "basedb/entities/": lambda: pk(Entity),
        "records/": lambda: pk(Record),
        "matching/entries/": lambda: pk(WorkEntry),
        "matching/grants/": lambda: pk(RuleGrant),
        "reports/submissions/": lambda: pk(Submission),
        "sharing/clients/": lambda: pk(ApiClient),
        "api/v1/webhooks/": lambda: pk(Webhook),
        "batches/": lambda: pk(Batch),
        "collection/review/": lambda: pk(Batch),
        "matching/rules/": lambda: [{"code": c} for c in Rule.objects.values_list("code", flat=True)],
        "api/v1/rules/": lambda: [{"code": c} for c in Rule.objects.values_list("code", flat=True)],
        "reports/": lambda: [{"code": c} for c in ReportForm.objects.values_list("code", flat=True)],
        "basedb/tables/": lambda: [{"code": c} for c in ("P0101", "P0102", "H0101")],
        "catalog/categories/": lambda: [{"code": c} for c in ("P01", "H01")],
        "catalog/domains/": lambda: [{"code": c} for c in ("P", "H")],
        "catalog/subcategories/": lambda: [{"code": c} for c in ("P0101", "H0101")],
        "catalog/templates/": lambda: [{"code": c} for c in ("P0101", "H0101")],
        "catalog/elements/": lambda: [{"key": k} for k in ("id_number", "phone", "address")],
        "code-tables/": lambda: [{"code": c} for c in CodeTable.objects.order_by("code").values_list("code", flat=True)[:2]],  # noqa: E501
        "regions/": lambda: [{"code": c} for c in region_codes()],
        "unplaced/": lambda: [{"code": c} for c in region_codes() if len(c) == 9],
        "grid/areas/": lambda: [{"code": c} for c in region_codes()],
    }  # fmt: skip
    for marker, fill in table.items():
        if marker in route:
            return fill()
    raise AssertionError(f"the crawl does not know how to fill the parameters {names} of {route}: add them here")


def admin_values(route: str, names: list[str]) -> list[dict]:
    """Admin pages answer a signed-in user without staff status a redirect to the admin login: one object each."""
    from django.contrib.contenttypes.models import ContentType

    record = Record.objects.order_by("pk").first().pk
    defaults = {"app_label": "basedb", "url": "basedb/nothing/", "id": 1, "object_id": record if "/record/" in route
                else 1, "content_type_id": ContentType.objects.get_for_model(Record).pk}  # fmt: skip
    if "content_type_id" in names:
        defaults["object_id"] = record
    return [{name: defaults[name] for name in names}]


def url_of(route: str, values: dict) -> str:
    path = PARAM.sub(lambda m: str(values[m["name"] or m["rname"]]), route)
    return "/" + path.lstrip("^").replace("/?$", "/").rstrip("$").replace("\\.", ".")


def queries_for(route: str, values: dict, levels: list[str], listed: set[str]) -> list[dict]:
    queries = [{}]
    if route in REGION_QUERY and ("rules/" not in route or values["code"] in listed):
        queries += [{"region": code} for code in levels]
    queries += EXTRA_QUERIES.get(route, [])
    if route == "reports/fill/<slug:code>/cell/":
        queries += cell_queries()
    return queries


def cell_queries() -> list[dict]:
    """Each cell of each report form, for A's county and Y's (rows: the townships)."""
    queries = []
    for form in ReportForm.objects.order_by("code"):
        for column in definition_of(form).columns:
            for region, row in ((COUNTY_A, TOWNSHIP_A), (OTHER_COUNTY, TOWNSHIP_Y)):
                queries.append({"form": form.code, "region": region, "row": row, "column": column.code})
    return queries


def crawl_urls() -> Iterator[tuple[str, str]]:
    """(route, url) of every route, every filling of its parameters and every query of it."""
    codes = region_codes()
    levels = ["3706", COUNTY_A, TOWNSHIP_A, *[c for c in codes if c.startswith(TOWNSHIP_A)][1:3], OTHER_COUNTY,
              TOWNSHIP_Y]  # fmt: skip
    listed = set(WorkEntry.objects.values_list("rule__code", flat=True))
    for route in sorted(set(routes()) - SIGN_OUT):
        if route.startswith("admin/") and not route.endswith(ADMIN_ASKED):
            continue
        for values in values_for(route):
            url = url_of(route, values)
            assert resolve(urlsplit(url).path).route == route, f"{url} does not resolve to {route}"
            for query in queries_for(route, values, levels, listed):
                if query.pop("form", values.get("code")) != values.get("code"):
                    continue
                yield route, f"{url}?{urlencode(query)}" if query else url


def body_text(response) -> str:
    """The response as text: xlsx unzipped (every XML part), JSON decoded (no \\u escapes), HTML entities undone."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    parts = [body]
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            parts = [book.read(name) for name in book.namelist()]
    text = "\n".join(part.decode("utf-8", errors="replace") for part in parts)
    if "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            text += json.dumps(json.loads(body), ensure_ascii=False)
    return text + html.unescape(text)


def header_text(response) -> str:
    return "\n".join(f"{name}: {value} {unquote(value)}" for name, value in response.items())


class Findings:
    """Every leak found, reported together: who, which request, what of A's."""

    def __init__(self, secrets: dict[str, str]):
        self.secrets, self.found, self.asked = secrets, [], 0
        self.statuses = __import__("collections").Counter()

    def check(self, who: str, request: str, response, *, echoed: tuple[str, ...] = ()) -> None:
        """Look for every secret in the response; `echoed`: the requester's own input as the response may repeat it
        (a search box's value, the keys of a match), taken out first."""
        self.asked += 1
        self.statuses[(who, response.status_code)] += 1
        text = body_text(response)
        for echo in echoed:
            text = text.replace(echo, "")
        for place, content in (("body", text), ("headers", header_text(response))):
            for value, what in self.secrets.items():
                if value in content:
                    self.found.append(f"{who} {request} -> {response.status_code}: {what} {value} in the {place}")


class Rollback(Exception):
    pass


def post_rolled_back(client: Client, url: str, data, **extra):
    """POST in a savepoint rolled back afterwards: the scenario stays as built for the next request."""
    try:
        with transaction.atomic():
            response = client.post(url, data, **extra)
            body_text(response)  # a streamed body is read inside the savepoint
            raise Rollback(response)
    except Rollback as done:
        return done.args[0]


def principals(cast) -> dict[str, tuple[Client, dict]]:
    """Each crawler: a test client signed in (the session) and the headers it sends to the API."""
    crawlers = {}
    for name in ("collector_y", "officer_y", "nobody"):
        user = getattr(cast, name)
        session = Client()
        session.force_login(user)
        crawlers[name] = (session, {})
        crawlers[f"{name} (token)"] = (Client(), {"Authorization": f"Token {issue_user_token(user, 'crawl')[1]}"})
    crawlers["client_y"] = (Client(), {"Authorization": f"Token {cast.client_y_token}"})
    return crawlers


def crawl_get_and_post(crawlers, findings: Findings, urls) -> None:
    for who, (client, headers) in crawlers.items():
        token = bool(headers)
        for route, url in urls:
            if token != route.startswith("api/"):
                continue  # tokens are for the API; the session crawls everything but the API's token-only door
            response = client.get(url, headers=headers)
            findings.check(who, f"GET {url}", response)
            if response.status_code == 405:  # a POST-only action: its refusals and form errors
                findings.check(who, f"POST {url}", post_rolled_back(client, url, {}, headers=headers))
    for who in ("collector_y", "officer_y", "nobody"):
        client = crawlers[who][0]
        for route, url in urls:
            if route.startswith("api/") and "?" not in url:
                findings.check(who, f"GET {url} (session)", client.get(url))


def search_as_everyone(crawlers, findings: Findings, urls) -> None:
    """The search forms posted with A's ID numbers (and names): nothing of A's comes back."""
    searched = [p.id_number for p in A_PEOPLE[crawl_scenario.SHARED :]]
    areas = sorted({url for route, url in urls if route == "grid/areas/<str:code>/search/"})
    batches = sorted({url for route, url in urls if route == "collection/batches/<int:pk>/" and "?" not in url})
    for who in ("collector_y", "officer_y", "nobody"):
        client = crawlers[who][0]
        for q in searched:
            for url in ("/basedb/search/", *(f"/basedb/tables/{c}/search" for c in ("P0101", "P0102", "H0101"))):
                response = client.post(url, {"q": q}, follow=True)
                findings.check(who, f"POST {url} q={q} (followed)", response, echoed=(f'value="{q}"',))
            for url in areas + batches:
                response = post_rolled_back(client, url, {"q": q})
                findings.check(who, f"POST {url} q={q}", response, echoed=(f'value="{q}"',))
    api, headers = crawlers["client_y"]
    for q in searched:
        body = json.dumps({"kind": "person", "key": q})
        response = api.post("/api/v1/entities/lookup/", body, content_type="application/json", headers=headers)
        findings.check("client_y", f"POST /api/v1/entities/lookup/ key={q}", response)
    body = json.dumps({"keys": searched, "subcategories": ["P0101"], "fields": ["name", "phone", "current_address"]})
    response = api.post("/api/v1/match/", body, content_type="application/json", headers=headers)
    echoed = tuple(f'"key": "{q}"' for q in searched) + tuple(f'"key":"{q}"' for q in searched)
    findings.check("client_y", "POST /api/v1/match/", response, echoed=echoed)
    assert not response.json()["matched_keys"], response.json()


def control_findings(cast, urls, secrets: dict[str, str]) -> list[str]:
    """The same checks run for township A's own collector and officer on A's record pages and annotated workbooks:
    they do find A's values there, so a crawl that finds nothing has looked in the right places."""
    control = Findings(secrets)
    wanted = ("basedb/records/<int:pk>/", "collection/batches/<int:pk>/report.xlsx")
    for who, user in (("collector_a", cast.collector_a), ("officer_x", cast.officer_x)):
        client = Client()
        client.force_login(user)
        for route, url in urls:
            if route in wanted:
                control.check(who, f"GET {url}", client.get(url))
    return control.found


@pytest.mark.django_db
def test_no_page_or_endpoint_gives_a_user_of_another_county_any_personal_data_of_township_a(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    cast = crawl_scenario.build(tmp_path)
    findings = Findings(crawl_scenario.secrets().all())
    urls = list(crawl_urls())
    crawlers = principals(cast)
    crawl_get_and_post(crawlers, findings, urls)
    search_as_everyone(crawlers, findings, urls)
    control = control_findings(cast, urls, findings.secrets)
    assert any("report.xlsx" in f and "ID number" in f for f in control), "the workbook's XML was not searched"
    assert any("records/" in f and "address" in f for f in control), "the record pages were not searched"
    assert findings.asked > 1000, f"only {findings.asked} requests: the crawl lost its routes"
    assert not findings.found, f"{len(findings.found)} leaks of township A's data:\n" + "\n".join(findings.found)
