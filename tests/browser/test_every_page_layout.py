"""Every HTML page of the URLconf, in a real browser, as the role that uses it, on a 390 px phone and on a 1366×768
office screen: it answers 200, the document never scrolls sideways, no element is wider than the viewport outside a
box of its own that scrolls (a wide table sits in `.table-scroll` or becomes cards), and every field of a form is
whole on the screen (a form laid out as a table stacks its labels and fields instead of scrolling; only the fields
of a data table, e.g. a report's cell notes, may scroll with their table).

The routes come from the resolver (tests/permissions/test_routes.py `routes()`); the Django admin, the API, the
downloads (xlsx, JSON, patches) and sign-out are left out, POST-only actions (405 to a GET) are skipped. Each
parameter is filled from one scenario built once (tests/permissions/crawl_scenario.py: township A's people and
houses merged and placed in grids, township Y's conflicting batches, a batch waiting for review, the shipped matching
rules evaluated, the report forms confirmed) plus the messy workbook of township A (18 rows with errors) left
unmerged. A route the table below cannot fill fails the test, so a new page is walked from the day it exists.
Every failure of every page is collected and reported together.
"""

from urllib.parse import urlencode

import pytest
from django.urls import URLResolver, get_resolver
from playwright.sync_api import Error as PlaywrightError

from basedb.models import Conflict, Record
from collection.models import Batch
from matching.models import WorkEntry
from regions.choices import DepartmentRole, Role
from regions.departments import add_member, save_department
from reports.formbook import definition_of
from reports.models import ReportForm, Submission
from sharing.models import ApiClient
from tests.collection.batch_fixtures import DATA
from tests.conftest import COUNTY_A, GRID_A, PASSWORD, TOWNSHIP_A, make_user
from tests.permissions import crawl_scenario
from tests.permissions.test_crawl import PARAM, url_of
from tests.permissions.test_routes import routes

pytestmark = pytest.mark.browser

SCREENS = {"phone": {"width": 390, "height": 844}, "office": {"width": 1366, "height": 768}}
LEFT_OUT = ("admin/", "api/", "healthz", "accounts/logout/")
DOWNLOAD = (".xlsx", ".json", "/export/", "basedb/patch/")
# Who uses the pages under each prefix (the longest prefix wins).
USERS_OF = {
    "": ["collector", "officer", "grid_worker", "department", "admin"],
    "accounts/login/": ["anonymous"],
    "catalog/": ["collector"],
    "collection/upload/": ["collector", "department"],
    "collection/batches/": ["collector"],
    "collection/review/": ["officer"],
    "basedb/": ["officer"],
    "grid/": ["grid_worker"],
    "matching/": ["officer"],
    "matching/rules/new/": ["rules_admin"],
    "matching/rules/<slug:code>/edit/": ["rules_admin"],
    "reports/": ["officer"],
    "reports/forms/": ["admin"],
    "regions/": ["admin"],
    "sharing/": ["admin"],
}

# Where an element counts as too wide: outside the viewport and not inside a box that scrolls (or clips) itself.
TOO_WIDE = """() => {
  const width = window.innerWidth, found = [], reported = new Set();
  const fits = (r) => r.left >= -1 && r.right <= width + 1;
  const boxes = (el) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].map((c) => "." + c).join("");
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || fits(r)) continue;
    let up = el.parentElement, boxed = false, inside = false;
    for (; up && up !== document.body; up = up.parentElement) {
      if (reported.has(up)) { inside = true; break; }
      if (boxes(up) && fits(up.getBoundingClientRect())) { boxed = true; break; }
    }
    if (el.tagName === "TABLE" && !el.closest(".table-scroll") && !boxes(el)) boxed = false;
    if (boxed || inside) continue;
    reported.add(el);
    found.push(`${name(el)} ${Math.round(r.left)}..${Math.round(r.right)} px`);
  }
  return found.slice(0, 4);
}"""
# Fields of a form cut off by the screen's edge (to be reached by scrolling a box sideways); those in a data table
# scroll with their row, a form laid out as a table (.form-table) must not.
FIELDS_CUT = """() => [...document.body.querySelectorAll("input, select, textarea, button")].filter((el) => {
  const r = el.getBoundingClientRect(), table = el.closest("table");
  if (r.width === 0 || r.height === 0 || (table && !table.classList.contains("form-table"))) return false;
  return r.left < -1 || r.right > window.innerWidth + 1;
}).map((el) => `${el.tagName.toLowerCase()}[name=${el.name}] ${Math.round(el.getBoundingClientRect().right)} px`)
  .slice(0, 4)"""
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def build_cast(tmp_path) -> dict[str, str]:
    """The scenario, and one user per role: {role: username}."""
    cast = crawl_scenario.build(tmp_path)
    crawl_scenario.upload(cast.collector_a, TOWNSHIP_A, DATA / "sample_p0101_messy.xlsx")  # 18 rows with errors
    make_user("layout_officer", Role.OFFICER, "3706")
    make_user("layout_admin", Role.PLATFORM_ADMIN, "3706", is_staff=True)
    make_user("layout_rules_admin", Role.RULES_ADMIN, "3706")
    department = save_department("市医保局", region_code="3706", acting_user=None)
    add_member(department, make_user("layout_department"), DepartmentRole.UPLOADER, acting_user=None)
    return {"collector": cast.collector_a.username, "officer": "layout_officer",
            "grid_worker": "crawl_grid_worker_a", "department": "layout_department", "admin": "layout_admin",
            "rules_admin": "layout_rules_admin"}  # fmt: skip


def first(model, **filters):
    return model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True).first()


def parameters() -> dict[str, dict]:
    """One filling of each kind of parameter, from the scenario (township A's objects where A's users look)."""
    record = Record.objects.filter(place_id=GRID_A).select_related("entity", "subcategory").order_by("pk").first()
    placed = record.entity
    pending = Batch.objects.filter(region_id=TOWNSHIP_A).exclude(status="merged").order_by("-pk").first()
    waiting = Batch.objects.filter(status="verified").order_by("pk").first() or pending
    return {
        "collection/batches/": {"pk": pending.pk},
        "collection/review/": {"pk": waiting.pk},
        "basedb/batches/": {"pk": first(Batch, region_id=TOWNSHIP_A, status="merged")},
        "basedb/conflicts/": {"pk": first(Conflict)},
        "basedb/entities/<int:pk>/": {"pk": placed.pk},
        "basedb/entities/<public_id:public_id>/": {"public_id": placed.public_id},
        "basedb/records/": {"pk": first(Record, region_id=TOWNSHIP_A)},
        "basedb/tables/": {"code": "P0101"},
        "basedb/townships/": {"code": TOWNSHIP_A},
        "catalog/categories/": {"code": "P01"},
        "catalog/code-tables/": {"code": "GB_T_2261_1"},
        "catalog/elements/": {"key": "id_number"},
        "catalog/subcategories/": {"code": "P0101"},
        "grid/areas/": {"code": GRID_A},
        "grid/entities/": {"public_id": placed.public_id, "subcategory": record.subcategory.code},
        "matching/entries/": {"pk": first(WorkEntry)},
        "matching/rules/": {"code": WorkEntry.objects.order_by("pk").values_list("rule__code", flat=True).first()},
        "reports/submissions/": {"pk": first(Submission)},
        "reports/": {"code": ReportForm.objects.order_by("code").values_list("code", flat=True).first()},
        "regions/": {"code": TOWNSHIP_A},
        "sharing/clients/": {"pk": first(ApiClient)},
    }


def views() -> dict[str, object]:
    """{route: view function} of the URLconf (the routes as tests/permissions/test_routes.py walks them)."""
    found = {}
    for pattern_route, pattern in _patterns(get_resolver().url_patterns):
        found[pattern_route] = pattern.callback
    return {route: found[route] for route in routes()}


def _patterns(patterns, prefix: str = ""):
    for pattern in patterns:
        route = URLResolver._join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, route)
        else:
            yield route, pattern


def answers_get(view) -> bool:
    """False for a POST-only action: `require_POST` (`require_http_methods`) keeps its method list in a closure,
    a class-based view in `http_method_names`; decorators are followed through `__wrapped__`."""
    while view is not None:
        if hasattr(view, "view_class"):
            return "get" in view.view_class.http_method_names and hasattr(view.view_class, "get")
        for cell in view.__closure__ or ():
            methods = cell.cell_contents
            if isinstance(methods, list | tuple) and methods and all(isinstance(m, str) and m.isupper()
                                                                      for m in methods):  # fmt: skip
                return "GET" in methods
        view = getattr(view, "__wrapped__", None)
    return True


def cell_query() -> str:
    """A cell of the first report form: township A's row of its county's report."""
    form = ReportForm.objects.order_by("code").first()
    column = definition_of(form).columns[0].code
    return "?" + urlencode({"region": COUNTY_A, "row": TOWNSHIP_A, "column": column})


def by_length(table: dict) -> list:
    """The (prefix, value) pairs of `table`, longest prefix first (the most specific one wins)."""
    return sorted(table.items(), key=lambda item: -len(item[0]))


def pages() -> list[tuple[str, str, str]]:
    """(route, url, role) of every HTML GET page to walk."""
    filled, queries = parameters(), {"reports/fill/<slug:code>/cell/": cell_query()}
    walked = []
    for route, view in sorted(views().items()):
        if route.startswith(LEFT_OUT) or any(marker in route for marker in DOWNLOAD) or not answers_get(view):
            continue
        url = "/" + route
        if PARAM.search(route):
            values = next((v for prefix, v in by_length(filled) if route.startswith(prefix)), None)
            assert values is not None, f"no scenario value for the parameters of {route}: add one to parameters()"
            url = url_of(route, values) + queries.get(route, "")
        users = next(
            u for prefix, u in sorted(USERS_OF.items(), key=lambda kv: -len(kv[0])) if route.startswith(prefix)
        )
        walked += [(route, url, role) for role in users]
    return walked


def sign_in(page, live_server, username: str) -> None:
    """The login form (some roles land elsewhere than the home page)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def check_page(page, url: str) -> list[str]:
    """What is wrong with the page at `url` at the current viewport (nothing: [])."""
    try:
        response = page.goto(url)
    except PlaywrightError as error:
        return [f"the browser says {str(error).splitlines()[0]}"]
    problems = [] if response.status == 200 else [f"status {response.status}"]
    if not page.evaluate(NO_SIDEWAYS_SCROLL):
        problems.append(f"scrolls sideways: {page.evaluate('document.documentElement.scrollWidth')} px wide")
    problems += [f"too wide: {element}" for element in page.evaluate(TOO_WIDE)]
    problems += [f"field cut off: {field}" for field in page.evaluate(FIELDS_CUT)]
    return problems


def test_every_page_fits_a_phone_and_an_office_screen_for_its_users(browser_page, live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    users = build_cast(tmp_path)
    walked = pages()
    page, failures, visited = browser_page, [], set()
    for role in ["anonymous", *users]:
        mine = [(route, url) for route, url, who in walked if who == role]
        if role != "anonymous":
            page.context.clear_cookies()
            sign_in(page, live_server, users[role])
        for screen, size in SCREENS.items():
            page.set_viewport_size(size)
            for route, url in mine:
                problems = check_page(page, live_server.url + url)
                visited.add(route)
                failures += [f"{url} as {role} on the {screen} ({size['width']} px): {p}" for p in problems]
    assert len(visited) >= 40, f"only {len(visited)} pages walked: {sorted(visited)}"
    assert not failures, f"{len(failures)} failures on {len(visited)} pages:\n" + "\n".join(failures)
