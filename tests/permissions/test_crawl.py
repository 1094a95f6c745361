"""The cross-county crawl of issue 11 ("Done when"): every route of the URLconf, asked by a collector of another
county, an officer of another county, a user with no role (and an API client of the other county on the API), after
township A's people are merged and township Y of another county has uploaded some of the same people, returns none of
A's ID numbers, names, phones or addresses (those Y did not upload itself) in any body or header.

The routes come from the resolver (tests/permissions/test_routes.py `routes()`) and each is asked at least once.
Each parameter is filled with one object of each kind (`Keys`): objects of one kind lead to A's data the same way, so
one of them proves what all would. An entity's kind is who holds it (the counties and subcategories of its records), a
record's its county, subcategory and entity's kind, a batch's its county, status and subcategory (one row of each
batch, a person another county holds first), a region's its township and level (the city, both counties, and the
township, a village and a grid of A's and of Y's, those holding records first), a rule's its subject (if it has
records) and the counties of its work list, a report form's the subcategories with records it reads (one cell of each
such subject), a work-list entry's its rule's subject, county and entity's kind, the others' their county. The lists
of A's data (and the rules, forms and tables reading it) are asked again with each level of the scenario's regions as
`?region=`. Every route is asked with GET, and with an empty POST where GET is refused (the POST in a rolled-back
savepoint, so the scenario stays as built); the search forms are posted with A's ID numbers (one person of each kind).

Who asks what (`crawl_lists`): Y's collector and officer every page through their session and the API through their
personal token (the same request.user: no view reads which door it came through), Y's API client the API. The user
with no role, to whom every object and level is alike out of reach, asks the objects of A's side and the lists with
the city as region (it holds them all). The pages without region-owned data (admin, catalog, API schema) are the same
for every user without staff status and asked by Y's officer alone.

xlsx downloads are unzipped and their XML searched, JSON is searched as decoded text, headers (Location included) as
sent, percent-decoded and MIME-decoded. One test builds the scenario once and reports every finding together.
"""

import contextlib
import copy
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from email.header import decode_header, make_header
from urllib.parse import unquote, urlencode, urlsplit

import pytest
from django.db import transaction
from django.db.models import Q
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
# Pages without region-owned data (the exemptions of tests/permissions/test_routes.py, the catalog): the same for every
# signed-in user without staff status, so asked by one crawler.
SAME_FOR_EVERYONE = ("admin/", "catalog/", "api/v1/catalog/", "api/schema/", "api/docs/", "healthz", "accounts/login/")
EXTRA_QUERIES = {
    "basedb/patch/": [
        {"region": code, "subcategory": sub} for code in (TOWNSHIP_A, TOWNSHIP_Y) for sub in ("P0101", "H0101")
    ],
    "basedb/conflicts/": [{"status": "resolved"}],  # open is the default; no other status
    "basedb/board/": [{"county": COUNTY_A}, {"county": OTHER_COUNTY}],
    "grid/areas/<str:code>/": [{"kind": "house"}],  # person is the default; the scenario has no enterprise
    "api/v1/records/": [{"subcategory": s} for s in ("P0101", "H0101")],
    "api/v1/changes/": [{"subcategory": s} for s in ("P0101", "H0101")],
}


def county(code: str) -> str:
    return code[:6]


def one_of_each(objects, kind) -> list:
    """The first of `objects` (in their order) of each kind."""
    chosen: dict = {}
    for obj in objects:
        chosen.setdefault(kind(obj), obj)
    return list(chosen.values())


class Keys:
    """The objects the crawl fills the routes' parameters with: one of each kind (see the module docstring)."""

    def __init__(self):
        self.of_a: dict[str, set] = {}  # those of A's side, by list (`only_a`)
        self.held = held = holders()
        self.subcategories = subcategories = {}  # subcategory → the counties holding records of it
        for sub, region in Record.objects.values_list("subcategory__code", "region_id").distinct():
            subcategories.setdefault(sub, set()).add(county(region))
        a_held = lambda entity: any(c == COUNTY_A for c, _sub in held.get(entity, ()))  # noqa: E731
        self.entities = self._pick("entities", Entity.objects.order_by("pk"), lambda e: (e.kind, held.get(e.pk)),
                                   lambda e: a_held(e.pk), lambda e: e)  # fmt: skip
        records = Record.objects.order_by("pk").values_list("pk", "region_id", "subcategory__code", "entity_id")
        self.records = self._pick("records", records, lambda r: (county(r[1]), r[2], held[r[3]]), lambda r: in_a(r[1]))
        batches = Batch.objects.order_by("pk").values_list("pk", "region_id", "status", "subcategory_id")
        self.batches = self._pick("batches", batches, lambda b: (county(b[1]), b[2], b[3]), lambda b: in_a(b[1]))
        self.rows = self._rows()
        self.regions = self._pick("regions", region_keys(), lambda code: code, lambda code: in_a(code, or_above=True),
                                  lambda code: code)  # fmt: skip
        self.levels = ["3706", COUNTY_A, *[c for c in self.regions if c.startswith(TOWNSHIP_A)], OTHER_COUNTY,
                       TOWNSHIP_Y]  # fmt: skip
        self.tables = ["P0101", "P0102", "H0101"]
        self.of_a["tables"] = {t for t in self.tables if COUNTY_A in subcategories.get(t, ())}
        self.rules = self._rules()
        self.forms = self._forms()
        # Asked again at each level: the lists of the rules, forms and tables that read A's records.
        self.drilled = self.of_a["rules"] | self.of_a["forms"] | self.of_a["tables"]
        conflict = lambda c: (c.status, county(c.incoming_region_id), c.subcategory_id)  # noqa: E731
        self.conflicts = self._objects("conflicts", Conflict, conflict, lambda c: c.existing_region_id)
        entry = lambda e: (e.rule.subject_id, county(e.region_id), held.get(e.entity_id))  # noqa: E731
        self.entries = self._objects("entries", WorkEntry, entry, lambda e: e.region_id)
        grant = lambda g: (county(g.client.region_id), g.rule_id)  # noqa: E731
        self.grants = self._objects("grants", RuleGrant, grant, lambda g: g.client.region_id)
        region, client_region = (lambda obj: obj.region_id), (lambda obj: obj.client.region_id)
        self.submissions = self._objects("submissions", Submission, region, region)  # figures, nothing personal
        self.clients = self._objects("clients", ApiClient, region, region)
        self.webhooks = self._objects("webhooks", Webhook, client_region, client_region)

    def _pick(self, name: str, objects, kind, of_a, value=lambda obj: obj[0]) -> list:
        """The `value` of one of each kind of `objects`; those for which `of_a` holds remembered as A's."""
        chosen = one_of_each(objects, kind)
        self.of_a[name] = {value(obj) for obj in chosen if of_a(obj)}
        return [value(obj) for obj in chosen]

    def _objects(self, name: str, model, kind, region) -> list[int]:
        """The pk of one of each kind of the model's objects (`kind` a region: its county); A's: `region` in A's."""
        of_kind = (lambda obj: county(kind(obj))) if kind is region else kind
        return self._pick(name, model.objects.order_by("pk"), of_kind, lambda obj: in_a(region(obj)), lambda o: o.pk)

    def only_a(self) -> "Keys":
        """The same keys narrowed to A's side: A's objects, the regions holding A's, what reads A's records."""
        narrowed = copy.copy(self)
        for name, of_a in self.of_a.items():
            keys = getattr(self, name)
            kept = [key for key in keys if key in of_a]
            setattr(narrowed, name, {key: keys[key] for key in kept} if isinstance(keys, dict) else kept)
        return narrowed

    def _rows(self) -> list[tuple[int, int]]:
        """(batch, row): one row of each batch, a person whom another county holds first."""
        elsewhere = [e for e, h in self.held.items() if len({c for c, _sub in h}) > 1]
        elsewhere = set(Entity.objects.filter(pk__in=elsewhere).values_list("key", flat=True))
        rows = StagedRow.objects.filter(batch__in=self.batches).values_list("batch_id", "pk", "key")
        ordered = sorted(rows, key=lambda r: (r[0], r[2] not in elsewhere, r[1]))
        return self._pick("rows", ordered, lambda r: r[0], lambda r: r[0] in self.of_a["batches"], lambda r: r[:2])

    def _rules(self) -> list[str]:
        """A rule of each subject with records and each set of counties on its work list."""
        counties: dict[str, set] = {}
        for code, region in WorkEntry.objects.values_list("rule__code", "region_id"):
            counties.setdefault(code, set()).add(county(region))
        rules = Rule.objects.order_by("code").values_list("code", "subject__code")
        kind = lambda r: (r[1] if r[1] in self.subcategories else None, frozenset(counties.get(r[0], ())))  # noqa: E731
        return self._pick("rules", rules, kind, lambda r: COUNTY_A in counties.get(r[0], ()))

    def _forms(self) -> dict[str, list[dict]]:
        """A report form of each set of subcategories with records it reads: {code: its cells asked}."""

        def reads(columns) -> frozenset:
            return frozenset(self.subcategories.keys() & set().union(*(c.selection.subcategories for c in columns)))

        forms = [(form.code, definition_of(form).columns) for form in ReportForm.objects.order_by("code")]
        reads_a = lambda f: any(COUNTY_A in self.subcategories[s] for s in reads(f[1]))  # noqa: E731
        codes = self._pick("forms", forms, lambda f: reads(f[1]), reads_a)
        columns = dict(forms)
        return {code: cell_queries(columns[code], self.subcategories) for code in codes}


def in_a(code: str, *, or_above: bool = False) -> bool:
    """Is region `code` in A's county (or, `or_above`, a region holding it)?"""
    return code.startswith(COUNTY_A) or (or_above and COUNTY_A.startswith(code))


def holders() -> dict[int, frozenset]:
    """Entity id → (county, subcategory) of each of its records: who holds it, in what."""
    held: dict[int, set] = {}
    for entity, region, sub in Record.objects.values_list("entity_id", "region_id", "subcategory__code"):
        held.setdefault(entity, set()).add((county(region), sub))
    return {e: frozenset(h) for e, h in held.items()}


def region_keys() -> list[str]:
    """The city, both counties, and under township A and township Y the township, a village and a grid, those
    holding records first."""
    places = set(Record.objects.values_list("place_id", flat=True))
    under = Region.objects.filter(Q(code__startswith=TOWNSHIP_A) | Q(code__startswith=TOWNSHIP_Y)).values_list(
        "code", flat=True
    )
    ordered = sorted(under, key=lambda code: (not any(p.startswith(code) for p in places), code))
    return ["3706", COUNTY_A, OTHER_COUNTY, *sorted(one_of_each(ordered, lambda code: (code[:9], len(code))))]


def cell_queries(columns, subcategories) -> list[dict]:
    """One cell of each subject with records (a column without conditions first: it counts the most), else the
    form's first, for A's county and Y's (rows: the townships)."""
    held = [c for c in sorted(columns, key=lambda c: not c.selection.empty) if c.subject in subcategories]
    return [
        {"region": region, "row": row, "column": column.code}
        for column in one_of_each(held, lambda c: c.subject) or columns[:1]
        for region, row in ((COUNTY_A, TOWNSHIP_A), (OTHER_COUNTY, TOWNSHIP_Y))
    ]


def values_for(route: str, keys: Keys) -> list[dict]:
    """The fillings of the route's parameters with the keys."""
    names = [m["name"] or m["rname"] for m in PARAM.finditer(route)]
    if not names:
        return [{}]
    if route.startswith("admin/"):
        return admin_values(route, names)
    if "row_id" in names:
        return [{"pk": batch, "row_id": row} for batch, row in keys.rows]
    if names == ["kind", "key"]:
        return [{"kind": e.kind, "key": e.key} for e in keys.entities]
    if names == ["public_id"]:
        return [{"public_id": e.public_id} for e in keys.entities]
    if names == ["public_id", "subcategory"]:  # a record by its entity and subcategory
        records = Record.objects.filter(pk__in=keys.records).order_by("pk")
        pairs = records.values_list("entity__public_id", "subcategory__code")
        return [{"public_id": p, "subcategory": s} for p, s in pairs]
    pk = lambda values: [{"pk": v} for v in values]  # noqa: E731
    code = lambda values: [{"code": v} for v in values]  # noqa: E731
    table = {
        "basedb/conflicts/": lambda: pk(keys.conflicts),
        "basedb/entities/": lambda: pk(e.pk for e in keys.entities),
        "records/": lambda: pk(keys.records),
        "matching/entries/": lambda: pk(keys.entries),
        "matching/grants/": lambda: pk(keys.grants),
        "reports/submissions/": lambda: pk(keys.submissions),
        "sharing/clients/": lambda: pk(keys.clients),
        "api/v1/webhooks/": lambda: pk(keys.webhooks),
        "batches/": lambda: pk(keys.batches),
        "collection/review/": lambda: pk(keys.batches),
        "matching/rules/": lambda: code(keys.rules),
        "api/v1/rules/": lambda: code(keys.rules),
        "reports/": lambda: code(keys.forms),
        "basedb/tables/": lambda: code(keys.tables),
        "catalog/categories/": lambda: code(("P01",)),  # the catalog: the same for everyone, nothing of A's
        "catalog/domains/": lambda: code(("P",)),
        "catalog/subcategories/": lambda: code(("P0101",)),
        "catalog/templates/": lambda: code(("P0101",)),
        "catalog/elements/": lambda: [{"key": "id_number"}],
        "code-tables/": lambda: code(CodeTable.objects.order_by("code").values_list("code", flat=True)[:1]),
        "unplaced/": lambda: code(c for c in keys.regions if len(c) == 9),
        "regions/": lambda: code(keys.regions),
        "grid/areas/": lambda: code(keys.regions),
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


def queries_for(route: str, values: dict, keys: Keys, levels: list[str]) -> list[dict]:
    queries = [{}]
    if route in REGION_QUERY and ("<" not in route or values["code"] in keys.drilled):
        queries += [{"region": code} for code in levels]
    queries += EXTRA_QUERIES.get(route, [])
    if route == "reports/fill/<slug:code>/cell/":
        queries += keys.forms[values["code"]]
    return queries


def crawled_routes() -> list[str]:
    """The routes of the URLconf the crawl asks: all but signing out and the admin's add, delete and history pages."""
    return [
        route
        for route in sorted(set(routes()) - SIGN_OUT)
        if not route.startswith("admin/") or route.endswith(ADMIN_ASKED)
    ]


def crawl_urls(keys: Keys, levels: list[str]) -> Iterator[tuple[str, str]]:
    """(route, url) of every route, every filling of its parameters and every query of it (list pages at each of
    `levels`)."""
    for route in crawled_routes():
        for values in values_for(route, keys):
            url = url_of(route, values)
            assert resolve(urlsplit(url).path).route == route, f"{url} does not resolve to {route}"
            for query in queries_for(route, values, keys, levels):
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
    """The headers as sent, percent-decoded (a download's filename*) and MIME-decoded (Django encodes a value that is
    not latin-1 as =?utf-8?b?...?=)."""
    return "\n".join(f"{name}: {value} {unquote(value)} {make_header(decode_header(value))}"
                     for name, value in response.items())  # fmt: skip


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


def crawl_lists(keys: Keys) -> dict[str, list[tuple[str, str]]]:
    """What each crawler asks. The other county's collector, officer and API client: every route with one object of
    each kind, the lists at each level. The user with no role, to whom every object and level is alike out of reach:
    A's objects (what holds or reads A's records), the lists with the city (it holds them all). The pages without
    region-owned data: the officer only. Every route is asked."""
    every = list(crawl_urls(keys, keys.levels))
    missing = set(crawled_routes()) - {route for route, _url in every}
    assert not missing, f"nothing in the scenario fills the parameters of {sorted(missing)}: add it to crawl_scenario"
    scoped = [(route, url) for route, url in every if not route.startswith(SAME_FOR_EVERYONE) and route != "api/v1/"]
    kept = set(scoped)
    unscoped = [asked for asked in crawl_urls(keys.only_a(), ["3706"]) if asked in kept]
    return {"officer_y": every, "collector_y": scoped, "client_y": scoped, "nobody": unscoped}


def crawl_get_and_post(crawlers, findings: Findings, lists: dict[str, list[tuple[str, str]]]) -> None:
    """Each crawler asks its list through its door: the users the pages through their session and the API through
    their token (the same request.user: no view reads which door it came through), the API client the API."""
    for who, (client, headers) in crawlers.items():
        token = bool(headers)
        for route, url in lists[who.removesuffix(" (token)")]:
            if token != route.startswith("api/"):
                continue
            response = client.get(url, headers=headers)
            findings.check(who, f"GET {url}", response)
            if response.status_code == 405:  # a POST-only action: its refusals and form errors
                findings.check(who, f"POST {url}", post_rolled_back(client, url, {}, headers=headers))


def searched_keys(keys: Keys) -> list[str]:
    """ID numbers of A's people Y did not upload: one of each kind (who holds the person, the rules listing them)."""
    lists: dict[int, set] = {}
    for entity, rule in WorkEntry.objects.values_list("entity_id", "rule_id"):
        lists.setdefault(entity, set()).add(rule)
    wanted = [p.id_number for p in A_PEOPLE[crawl_scenario.SHARED :]]
    people = Entity.objects.filter(key__in=wanted).order_by("pk")
    return [e.key for e in one_of_each(people, lambda e: (keys.held.get(e.pk), frozenset(lists.get(e.pk, ()))))]


def search_as_everyone(crawlers, findings: Findings, urls, searched: list[str]) -> None:
    """The search forms posted with A's ID numbers: nothing of A's comes back."""
    areas = sorted({url for route, url in urls if route == "grid/areas/<str:code>/search/"})
    batches = sorted({url for route, url in urls if route == "collection/batches/<int:pk>/" and "?" not in url})
    for who in ("collector_y", "officer_y", "nobody"):
        client = crawlers[who][0]
        for q in searched:
            for url in ("/basedb/search/", "/basedb/tables/P0101/search"):  # A's people: P0101 records only
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
    keys = Keys()
    lists = crawl_lists(keys)
    urls = lists["officer_y"]
    crawlers = principals(cast)
    crawl_get_and_post(crawlers, findings, lists)
    search_as_everyone(crawlers, findings, urls, searched_keys(keys))
    control = control_findings(cast, urls, findings.secrets)
    assert any("report.xlsx" in f and "ID number" in f for f in control), "the workbook's XML was not searched"
    assert any("records/" in f and "address" in f for f in control), "the record pages were not searched"
    assert findings.asked > 1000, f"only {findings.asked} requests: the crawl lost its routes"
    assert not findings.found, f"{len(findings.found)} leaks of township A's data:\n" + "\n".join(findings.found)
