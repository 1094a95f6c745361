"""On a 390 px phone a township collector fills 人口基本情况统计表 for its township, opens the people behind a number,
and confirms the report with a note on one cell; at 1366×768 the county officer sees the township confirmed."""

import pytest

from reports.models import Submission
from tests.browser.conftest import OFFICE_SCREEN, login
from tests.conftest import PASSWORD, TOWNSHIP_A
from tests.reports.conftest import county, forms_loaded

pytestmark = pytest.mark.browser
__all__ = ["county", "forms_loaded"]  # fixtures used below
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_collector_fills_and_confirms_a_report_on_a_phone_and_the_county_sees_it(
    browser_page, live_server, county, collector_a, officer_a
):
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, "collector_a", PASSWORD)
    page.click("#menu-toggle")  # below 960 px the navigation folds into 菜单
    page.click("nav.mainnav >> text=统计报表")
    page.wait_for_selector("form.chooser")
    assert no_sideways_scroll(page)
    page.select_option("select[name=form]", "population_overview")
    page.select_option("select[name=region]", TOWNSHIP_A)
    page.fill("input[name=as_of]", "2026-03-31")
    page.click("form.chooser button")
    page.wait_for_selector("table.report-table")
    assert no_sideways_scroll(page)
    assert page.locator("tr.total td[data-column=total]").inner_text().strip() == "5"
    page.click("tr.total td[data-column=age_60_plus] a")
    page.wait_for_selector("table.cell-records")
    assert no_sideways_scroll(page)
    assert page.locator("table.cell-records tbody tr").count() == 3
    page.go_back()
    page.click("text=确认上报")
    page.wait_for_selector("form.confirm-form")
    assert no_sideways_scroll(page)
    page.click("tr.total td[data-column=age_80_plus] summary")
    page.fill("tr.total td[data-column=age_80_plus] textarea", "张一今日满80周岁")
    page.click("form.confirm-form button.primary")
    page.wait_for_selector(".messages >> text=已确认上报")
    assert no_sideways_scroll(page)
    assert Submission.objects.get().notes == {"total|age_80_plus": "张一今日满80周岁"}

    page.context.clear_cookies()
    page.set_viewport_size(OFFICE_SCREEN)
    login(page, live_server, "officer_a", PASSWORD)
    page.goto(f"{live_server.url}/reports/fill/population_overview/?region=370602&as_of=2026-03-31")
    assert "已确认" in page.locator(f'tr[data-row="{TOWNSHIP_A}"]').inner_text()
    assert no_sideways_scroll(page)
