"""On a 390 px phone a township collector opens a work list, marks an entry 不属实 because the person 已死亡, and
the correction reaches the officers' review queue."""

import pytest

from collection.models import Batch
from matching.choices import EntryStatus
from matching.models import WorkEntry
from tests.browser.conftest import login
from tests.conftest import PASSWORD, TOWNSHIP_A
from tests.matching.conftest import rules_loaded, town
from tests.matching.scenario import evaluate_json

pytestmark = pytest.mark.browser
__all__ = ["rules_loaded", "town"]  # fixtures used below
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_collector_refutes_an_entry_on_a_phone_and_the_death_goes_to_review(
    browser_page,
    live_server,
    town,
    collector_a,
    officer_a,
    tmp_path,
    settings,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    evaluate_json()
    page = browser_page
    page.set_viewport_size(PHONE)
    login(page, live_server, "collector_a", PASSWORD)
    page.click("#menu-toggle")  # below 960 px the navigation folds into 菜单
    page.click("nav.mainnav >> text=业务匹配")
    page.wait_for_selector("table.rules")
    assert no_sideways_scroll(page)
    page.click("a:has-text('高龄津贴应享未享') >> nth=0")
    page.wait_for_selector("text=列入条件")
    assert no_sideways_scroll(page)
    page.click("text=查看名单")
    page.wait_for_selector("ol.entries")
    assert no_sideways_scroll(page)
    page.click(".entry-card a:has-text('赵四')")
    page.wait_for_selector("text=列入原因")
    assert no_sideways_scroll(page)
    page.check("input[name=status][value=refuted]")
    page.select_option("select[name=fact]", label="已死亡")
    page.fill("input[name=ask_death_date]", "2026-05-20")
    page.fill("textarea[name=note]", "邻居告知已去世")
    page.click("button:has-text('保存核实结果')")
    page.wait_for_selector(".messages >> text=核实结果已保存")
    assert "待核验员审核" in page.locator("ol.events").inner_text()
    assert no_sideways_scroll(page)

    entry = WorkEntry.objects.get(rule__code="elderly_allowance_gap", entity__display_name="赵四")
    assert (entry.status, entry.fact.code) == (EntryStatus.REFUTED, "deceased")
    batch = Batch.objects.get(pk=entry.correction_batch_id)
    assert (batch.subcategory.code, batch.region_id) == ("P0106", TOWNSHIP_A)

    page.click("#menu-toggle")
    page.click("form[action='/accounts/logout/'] button")
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "officer_a", PASSWORD)
    page.click("nav.mainnav >> text=核验审核")
    page.wait_for_url("**/collection/review/")
    assert page.locator(f"a[href='/collection/review/{batch.pk}/']").count() >= 1
