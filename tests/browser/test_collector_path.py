"""The collector's path in a real browser, at 1366×768 and at 390 px: upload a messy file, find a person's row by
name, fix it, download the annotated workbook showing the current state, upload it again. Every page: no sideways
scroll, no link to a page the collector may not open; a screenshot of each page is saved under
tests/browser/screenshots/ (ignored by git) for review."""

import io
from pathlib import Path

import openpyxl
import pytest

from collection.models import Batch
from tests.browser.conftest import login
from tests.collection.batch_fixtures import DATA, media
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
__all__ = ["media"]

SHOTS = Path(__file__).resolve().parent / "screenshots"
SIZES = {"office": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
RIGHT_ID = "120101195901154755"  # row 7 (于义) has a wrong check digit in the file
LINKS = """() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
    .filter(h => h.startsWith('/') && !h.startsWith('/accounts/logout') && !h.includes('.xlsx'))"""


def check_page(page, name: str, size: str) -> None:
    """No sideways scroll, every link opens for this user (not 403), and a full-page screenshot."""
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at {size}"
    for href in sorted(set(page.evaluate(LINKS))):
        status = page.request.get(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + href).status
        assert status != 403, f"{name} links to {href}, which answers 403"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"collector-{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_collectors_path_from_a_messy_file_to_a_clean_upload(browser_page, live_server, collector_a, catalog,
                                                                  media, size, tmp_path):  # fmt: skip
    page = browser_page
    page.set_viewport_size(SIZES[size])
    login(page, live_server, "collector_a", PASSWORD)
    assert page.locator("#todo").is_visible() and "没有待处理的批次" in page.locator("#todo").inner_text()
    check_page(page, "home", size)

    page.goto(f"{live_server.url}/collection/upload/")
    check_page(page, "upload", size)
    page.set_input_files("#id_file", str(DATA / "sample_p0101_messy.xlsx"))
    with page.expect_navigation(url="**/collection/batches/*/"):
        page.click("#upload-submit")
    assert page.locator("#batch-status").inner_text() == "待修正"
    assert "还有" in page.locator("#batch-state").inner_text() and "下一步" in page.locator("#batch-state").inner_text()
    check_page(page, "batch", size)

    page.fill("#row-search", "于义")
    with page.expect_navigation():
        page.click(".row-search button[type=submit]")
    assert "找到 1 行" in page.locator("#search-result").inner_text()
    row = page.locator("#row-7")
    assert "于义" in row.inner_text() and "120101********4750" in row.inner_text()
    check_page(page, "search", size)

    before = int(page.locator("#count-invalid").inner_text())
    row.locator("form.fix-form input[name=value]").fill(RIGHT_ID)
    row.locator("form.fix-form button").click()
    page.wait_for_selector("#row-7 .fix-result.ok")
    assert int(page.locator("#count-invalid").inner_text()) == before - 1
    assert "刚刚 填入" in row.locator("ul.attempts").inner_text()
    check_page(page, "fixed", size)

    page.reload()
    with page.expect_download() as info:
        page.click("#download-report")
    book = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes()))
    assert book.worksheets[0]["B7"].value == RIGHT_ID  # the workbook shows the fix made on the web
    annotated = tmp_path / "批注版.xlsx"
    book.save(annotated)

    page.goto(f"{live_server.url}/collection/upload/")
    page.set_input_files("#id_file", str(annotated))
    with page.expect_navigation(url="**/collection/batches/*/"):
        page.click("#upload-submit")
    again = Batch.objects.order_by("-pk").first()
    assert again.invalid == before - 1 and page.locator("#count-invalid").inner_text() == str(before - 1)
    check_page(page, "uploaded-again", size)

    page.goto(f"{live_server.url}/")
    todo = page.locator("#todo").inner_text()
    assert f"#{again.pk}" in todo and f"修正 {before - 1} 行有误的数据" in todo
    check_page(page, "home-todo", size)
