"""On a 390 px phone a grid worker signs in and lands on its grid, finds a person by name, opens the person's card
and reports a correction from the field, which reaches the officers' review queue; the pages also fit 1366x768."""

import pytest

from collection.choices import BatchStatus
from collection.models import Batch
from regions.choices import Action
from tests.conftest import GRID_A, GRID_A2, PASSWORD
from tests.gridwork.conftest import grid_worker, placed_person

pytestmark = pytest.mark.browser
__all__ = ["grid_worker"]  # fixture used below
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_grid_worker_finds_a_person_and_reports_a_correction_on_a_phone(
    browser_page, live_server, grid_worker, officer_a, client, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    person = placed_person(1, "张一", GRID_A)
    placed_person(2, "张二", GRID_A)
    placed_person(3, "张三", GRID_A2)  # another grid: never listed nor found
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, grid_worker.username)
    page.wait_for_url(f"{live_server.url}/grid/areas/{GRID_A}/")  # the home page leads to the worker's grid
    assert page.locator(".area-tabs a[data-kind=person] .n").inner_text() == "2"
    assert page.locator("#area-list li").count() == 2 and no_sideways_scroll(page)

    page.fill("input[name=q]", "张一")
    page.click("button:has-text('查找')")
    page.wait_for_selector("#search-results")
    assert "q=" not in page.url and page.locator("#search-results li").count() == 1
    assert no_sideways_scroll(page)
    page.click("#search-results a")
    page.wait_for_selector("#card-name")
    assert "张*" in page.inner_text("#card-name") and person.values["id_number"] not in page.content()
    assert no_sideways_scroll(page)

    page.click("a:has-text('报告更正')")
    page.select_option("select[name=item_1]", "phone")
    page.fill("input[name=value_1]", "13912345678")
    page.fill("input[name=reason]", "电话已变更")
    assert no_sideways_scroll(page)
    page.click("button:has-text('提交更正')")
    page.wait_for_selector(".messages >> text=等待核验员审核")
    assert no_sideways_scroll(page)

    batch = Batch.objects.restrict(officer_a, Action.REVIEW).get()
    assert (batch.status, batch.uploaded_by_id) == (BatchStatus.PENDING_REVIEW, grid_worker.pk)
    client.force_login(officer_a)
    assert batch.original_name in client.get("/collection/review/").content.decode()


def test_the_grid_pages_fit_an_office_screen(browser_page, live_server, grid_worker):
    placed_person(1, "张一", GRID_A)
    page = browser_page
    sign_in(page, live_server, grid_worker.username)
    page.wait_for_url(f"{live_server.url}/grid/areas/{GRID_A}/")
    assert no_sideways_scroll(page)
    page.click("#area-list a")
    page.wait_for_selector("#card-name")
    assert no_sideways_scroll(page)
