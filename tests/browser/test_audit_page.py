"""The 操作记录 page in a real browser: no sideways scroll at 390 px (one card per event) nor at 1366x768, and the
top bar (with its 操作记录 link) still fits at 1366 px."""

import pytest

from collection import review
from tests.basedb.conftest import person, staged_batch
from tests.browser.conftest import login
from tests.conftest import PASSWORD, TOWNSHIP_A

pytestmark = pytest.mark.browser
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def events(catalog, officer_a, collector_a):
    for n in range(3):
        batch = staged_batch(TOWNSHIP_A, [person(n)], user=collector_a)
        review.return_batch(batch, acting_user=officer_a, reason="请核对第2行的出生日期与身份证号是否一致" * 3)


@pytest.mark.parametrize("size", [{"width": 390, "height": 844}, {"width": 1366, "height": 768}])
def test_the_audit_page_never_scrolls_sideways(browser_page, live_server, events, officer_a, size):
    page = browser_page
    page.set_viewport_size(size)
    login(page, live_server, "officer_a", PASSWORD)
    page.goto(f"{live_server.url}/regions/audit/")
    assert page.locator("#audit-events tbody tr").count() >= 3
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    if size["width"] > 960:
        link = page.locator("nav.mainnav a:text-is('操作记录')")
        box = link.bounding_box()
        assert link.is_visible() and box["x"] + box["width"] <= size["width"]
