"""The shared page layout in a real browser: at 390 px the collector's pages never scroll sideways and the top bar
folds into a 菜单 button; identifiers and dates never break inside, at 1366 px or 1920 px."""

import pytest

from collection.intake import submit_upload
from tests.browser.conftest import login
from tests.collection.batch_fixtures import DATA, media
from tests.conftest import PASSWORD, TOWNSHIP_A

pytestmark = pytest.mark.browser
__all__ = ["media"]  # fixture used below

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
LINES_OF = """(el) => {
  const tops = new Set();
  const range = document.createRange();
  range.selectNodeContents(el);
  for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
  return tops.size;
}"""


@pytest.fixture
def messy_batch(collector_a, catalog, media):
    """The messy sample uploaded by collector_a: 120 rows, 18 of them with errors."""
    with (DATA / "sample_p0101_messy.xlsx").open("rb") as fh:
        return submit_upload(fh, original_name="sample_p0101_messy.xlsx", region_code=TOWNSHIP_A, user=collector_a)[0]


def test_the_collectors_pages_never_scroll_sideways_on_a_phone(browser_page, live_server, messy_batch):
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, "collector_a", PASSWORD)
    paths = ["/", "/collection/upload/", "/collection/batches/", f"/collection/batches/{messy_batch.pk}/", "/catalog/"]
    for path in paths:
        page.goto(live_server.url + path)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), path
    page.goto(f"{live_server.url}/collection/batches/{messy_batch.pk}/#rows")
    fix_box = page.locator("#row-7 input[name=value]").bounding_box()
    assert fix_box["x"] >= 0 and fix_box["x"] + fix_box["width"] <= PHONE["width"]  # the fix box is not cut off


def test_the_top_bar_folds_into_a_menu_on_a_phone(browser_page, live_server, collector_a):
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, "collector_a", PASSWORD)
    logout = page.locator("#topbar-menu button:text-is('退出')")
    assert not logout.is_visible()
    page.click("#menu-toggle")
    assert page.locator("#menu-toggle").get_attribute("aria-expanded") == "true"
    assert logout.is_visible() and page.locator("nav.mainnav a:text-is('基础库')").is_visible()
    # White links on the dark-blue bar, never white on white.
    background = page.locator("#topbar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(13, 71, 161)"
    assert page.locator("nav.mainnav a:text-is('基础库')").evaluate("el => getComputedStyle(el).color") == (
        "rgb(255, 255, 255)"
    )
    page.keyboard.press("Escape")
    assert not logout.is_visible()


@pytest.mark.parametrize("width", [1366, 1920])
def test_id_numbers_and_dates_never_break_inside(browser_page, live_server, messy_batch, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(f"{live_server.url}/collection/batches/{messy_batch.pk}/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    id_value = page.locator("#row-7 td.value .ident")
    assert id_value.inner_text() == "120101195901154750"
    assert id_value.evaluate(LINES_OF) == 1
    birth_date = page.locator("#row-15 td.value .ident")
    assert birth_date.inner_text() == "2088-11-18" and birth_date.evaluate(LINES_OF) == 1
