"""In a real browser an officer opens the review queue, approves a batch and sees the progress board change."""

import pytest

from tests.basedb.conftest import person, staged_batch
from tests.browser.conftest import login
from tests.conftest import PASSWORD, TOWNSHIP_A

pytestmark = pytest.mark.browser


def records_of_township_a(page) -> str:
    return page.locator(f'#board-townships tr[data-code="{TOWNSHIP_A}"] td.records').inner_text()


def test_an_officer_approves_a_batch_from_the_queue_and_the_board_counts_its_records(
    browser_page, live_server, officer_a, collector_a, catalog
):
    batch = staged_batch(TOWNSHIP_A, [person(1), person(2), person(3)], user=collector_a)
    page = browser_page
    login(page, live_server, "officer_a", PASSWORD)
    assert records_of_township_a(page) == "0"

    page.click("nav.mainnav >> text=核验审核")
    page.wait_for_url("**/collection/review/")
    page.click(f"a[href='/collection/review/{batch.pk}/']:has-text('审核')")
    page.click("#to-preview")
    assert page.locator("#preview-created").inner_text() == "3"
    page.click("#approve")
    page.wait_for_selector(".messages >> text=已入库")
    assert page.locator("#merged-created").inner_text() == "3"

    page.click("nav.mainnav >> text=首页")
    assert records_of_township_a(page) == "3"
