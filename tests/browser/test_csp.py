"""In a real browser the platform's pages run under its Content-Security-Policy (grassroots/csp.py) without a single
violation, and what their scripts do still works: the upload's progress, in-place fixes, a form's confirmation
question, the folding menu at 390 px, the review queue, the interactive API documentation."""

import pytest

from regions.choices import Role
from tests.basedb.conftest import person, staged_batch
from tests.browser.conftest import login, wait_until
from tests.browser.test_upload import MESSY
from tests.collection.batch_fixtures import media
from tests.conftest import PASSWORD, TOWNSHIP_A, make_user

pytestmark = pytest.mark.browser
__all__ = ["media"]  # fixture used below

# Installed before any page script (Playwright's init scripts are not subject to the page's policy).
LISTEN = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber));"""


@pytest.fixture
def watched(browser_page):
    """The browser page with every CSP violation recorded: the page's securitypolicyviolation events (read by
    `violations(page)`) and Chromium's console reports, in `page.csp_console`."""
    page = browser_page
    page.context.add_init_script(LISTEN)
    page.csp_console = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_console.append(m.text))
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__violations || []") + page.csp_console


def visit(page, url: str) -> None:
    """Open `url`, let its scripts run, and fail on any violation."""
    page.goto(url, wait_until="load")
    assert violations(page) == [], url


def test_the_listener_reports_an_inline_script_the_policy_blocks(watched, live_server, collector_a):
    page = watched
    login(page, live_server, "collector_a", PASSWORD)
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                             document.body.appendChild(s); }""")
    wait_until(page, "window.__violations.length > 0")
    assert page.evaluate("window.ran") is None
    assert any("script-src" in v for v in violations(page))


def test_a_collectors_pages_upload_with_progress_and_fix_cells_without_a_violation(
    watched, live_server, collector_a, catalog, media
):
    page = watched
    login(page, live_server, "collector_a", PASSWORD)
    paths = ["/", "/catalog/", "/collection/batches/", "/basedb/", "/basedb/patch/", "/reports/"]
    for path in [*paths, f"/basedb/townships/{TOWNSHIP_A}/unplaced/"]:
        visit(page, live_server.url + path)
    visit(page, f"{live_server.url}/collection/upload/")
    page.evaluate("""() => { window.seen = []; new MutationObserver(() => window.seen.push(
        document.getElementById('upload-progress-text').textContent)).observe(
        document.getElementById('upload-progress-text'), {childList: true, characterData: true, subtree: true}); }""")
    page.set_input_files("#id_file", str(MESSY))
    page.click("#upload-submit")
    wait_until(page, "window.seen && window.seen.some(t => t.startsWith('正在上传：'))")
    page.wait_for_url("**/collection/batches/*/")
    assert page.locator("#count-rows").inner_text() == "120"
    before = int(page.locator("#count-invalid").inner_text())
    visit(page, page.url + "?rule=checksum#rows")
    form = page.locator("#row-7 form.fix-form")
    form.locator("input[name=value]").fill("120101195901154755")
    form.locator("button").click()
    page.wait_for_selector("#row-7 .fix-result.ok")
    assert int(page.locator("#count-invalid").inner_text()) == before - 1
    assert violations(page) == []


def test_the_menu_folds_and_opens_on_a_phone_without_a_violation(watched, live_server, collector_a):
    page = watched
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "collector_a", PASSWORD)
    assert not page.locator("nav.mainnav").is_visible()
    page.click("#menu-toggle")
    assert page.locator("nav.mainnav a:text-is('基础库')").is_visible()
    assert violations(page) == []


def test_an_officer_reviews_approves_and_reverts_without_a_violation(
    watched, live_server, officer_a, collector_a, catalog
):
    batch = staged_batch(TOWNSHIP_A, [person(1), person(2)], user=collector_a)
    page = watched
    login(page, live_server, "officer_a", PASSWORD)
    for path in ("/", "/basedb/conflicts/", "/regions/", "/sharing/", "/collection/review/"):
        visit(page, live_server.url + path)
    page.check("#check-all")  # review.js ticks every batch of the queue
    assert page.locator(f'#bulk-form input[name="batch"][value="{batch.pk}"]').is_checked()
    visit(page, f"{live_server.url}/collection/review/{batch.pk}/")
    page.click("#to-preview")
    page.wait_for_selector("#approve")
    assert violations(page) == []
    # A form's data-confirm question (layout.js, in place of onsubmit="return confirm(…)"): 取消 sends nothing.
    page.locator("#approve").evaluate("b => b.form.setAttribute('data-confirm', '确定入库吗？')")
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.click("#approve")
    assert questions == ["确定入库吗？"] and page.locator(".messages").count() == 0
    page.once("dialog", lambda d: d.accept())
    page.click("#approve")
    page.wait_for_selector(".messages >> text=已入库")
    page.click("#revert")
    page.wait_for_selector("#revert-scope")
    assert violations(page) == []
    page.click("#revert-confirm")
    page.wait_for_selector(".messages >> text=已撤销批次")
    assert violations(page) == []


def test_the_api_documentation_runs_under_the_same_policy(watched, live_server, officer_a):
    page = watched
    login(page, live_server, "officer_a", PASSWORD)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title:has-text('基层数据归集平台 API')")
    page.wait_for_selector(".opblock-tag")  # the schema was fetched and drawn
    assert violations(page) == []


def test_the_admin_runs_under_the_same_policy(watched, live_server, regions):
    make_user("csp_admin", Role.PLATFORM_ADMIN, "3706", is_staff=True, is_superuser=True)
    page = watched
    login(page, live_server, "csp_admin", PASSWORD)
    for path in ("/admin/", "/admin/regions/region/", "/admin/regions/region/370602/change/"):
        visit(page, live_server.url + path)
    # Django's widgets: the two-box selector (filter_horizontal), date shortcuts, inlines with 添加另一个.
    visit(page, f"{live_server.url}/admin/sharing/apiclient/add/")
    page.wait_for_selector("#id_subcategories_filter")  # SelectFilter2.js drew its boxes
    page.click("#id_subcategories_add_all")
    assert page.locator("#id_subcategories_to option").count() > 100
    visit(page, f"{live_server.url}/admin/auth/user/add/")
    assert violations(page) == []
