"""The data table of a subcategory in a real browser (issue 15 item 15): at 390 px the page never scrolls sideways
and the table scrolls inside its own box; filtering, sorting and the column chooser work by plain links and forms."""

import pytest

from basedb.merge import merge_batch
from tests.basedb.conftest import person, staged_batch
from tests.browser.conftest import login
from tests.conftest import PASSWORD, TOWNSHIP_A

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
TABLE = "/basedb/tables/P0101/"


@pytest.fixture
def records(catalog):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 13)]), acting_user=None)


@pytest.mark.parametrize("size", [PHONE, {"width": 1366, "height": 768}])
def test_the_table_fits_the_screen_and_scrolls_in_its_own_box(browser_page, live_server, collector_a, records, size):
    page = browser_page
    page.set_viewport_size(size)
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(live_server.url + TABLE)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    if size is PHONE:
        assert page.locator("#table-box").evaluate("el => el.scrollWidth > el.clientWidth")
    page.locator("#table-filters summary").click()
    page.select_option("select[name=f_sex]", person(2)["sex"])
    page.locator("#table-filters button[type=submit]").click()
    assert "共 6 条记录" in page.locator("#table-count").inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.locator("#record-table th a:text-is('姓名')").click()
    assert "共 6 条记录" in page.locator("#table-count").inner_text()  # the filter is kept while sorting
    assert page.locator("#record-table tbody tr td").first.inner_text() == "测试10"


def test_the_search_keeps_the_id_number_out_of_the_address(browser_page, live_server, collector_a, records):
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(live_server.url + TABLE)
    page.fill("#table-search input[name=q]", "370602199001000007")
    page.locator("#table-search button[type=submit]").click()
    assert "共 1 条记录" in page.locator("#table-count").inner_text()
    assert "370602199001" not in page.url


def test_the_column_chooser_keeps_its_choice(browser_page, live_server, collector_a, records):
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(live_server.url + TABLE)
    page.locator("#table-columns summary").click()
    page.uncheck("#table-columns input[value=id_number]")
    page.locator("#table-columns button[type=submit]").click()
    page.goto(live_server.url + TABLE)
    assert page.locator("#record-table th:text-is('公民身份号码')").count() == 0
    assert page.locator("#record-table th a:text-is('性别')").count() == 1
