"""The subcategory page reads well at 1366×768: short cells stay on one line (a real browser lays the table out)."""

import pytest

from tests.browser.conftest import browser_page, chromium_executable, login
from tests.conftest import PASSWORD

__all__ = ["browser_page", "chromium_executable"]  # fixtures used below

pytestmark = pytest.mark.browser

LINES_OF = """(cell) => {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  const tops = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
  }
  return tops.size;
}"""


def lines(page, selector: str) -> int:
    return page.locator(selector).first.evaluate(LINES_OF)


def test_short_columns_and_item_names_of_the_person_page_stay_on_one_line(
    browser_page, live_server, collector_a, catalog
):
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(f"{live_server.url}/catalog/subcategories/P0101/")
    assert lines(page, "table.items th:has-text('必填')") == 1
    assert lines(page, "table.items td:has(.badge:text-is('必填'))") == 1
    assert lines(page, "table.items td:has(.badge:text-is('个人敏感'))") == 1
    assert lines(page, "table.items th:has-text('敏感级别')") == 1
    assert lines(page, "table.items .item-name:text-is('公民身份号码')") == 1
