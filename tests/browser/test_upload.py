"""In a real browser a collector uploads a messy workbook, reads the summary, fixes a cell, downloads the report."""

import base64
import io

import openpyxl
import pytest

from collection.report import ISSUES_SHEET
from tests.browser.conftest import login, wait_until
from tests.collection.batch_fixtures import DATA, media
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
__all__ = ["media"]  # fixture used below

MESSY = DATA / "sample_p0101_messy.xlsx"


def drop_file(page, selector: str, path) -> None:
    """Drag a file from the desktop onto an element: a drop event carrying the file, as the browser sends it."""
    data = base64.b64encode(path.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name));
            return transfer;
        }""",
        [path.name, data],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


@pytest.fixture
def on_batch_page(browser_page, live_server, collector_a, catalog, media):
    """Signed in as collector_a, the messy sample dropped on the upload page and submitted: the batch page."""
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    with page.expect_navigation(wait_until="load"):  # the drop handler is attached once the page has loaded
        page.click("nav.mainnav >> text=数据上报")
    assert page.locator("#id_region").input_value() == "370602002"
    drop_file(page, "#dropzone", MESSY)
    page.wait_for_selector("#chosen-file:has-text('sample_p0101_messy.xlsx')")
    with page.expect_navigation(url="**/collection/batches/*/"):
        page.click("#upload-submit")
    return page


def test_a_collector_uploads_a_messy_workbook_and_sees_the_issue_summary(on_batch_page):
    page = on_batch_page
    assert page.locator("#batch-status").inner_text() == "待修正"
    assert page.locator("#count-rows").inner_text() == "120"
    assert page.locator("#count-invalid").inner_text() in ("18", "19")
    by_rule = page.locator("#issues-by-rule").inner_text()
    assert "校验位错误" in by_rule and "数字精度丢失" in by_rule and "文件内重复" in by_rule


def test_the_annotated_workbook_downloads_with_its_issues_sheet(on_batch_page):
    page = on_batch_page
    with page.expect_download() as info:
        page.click("#download-report")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()))  # the path has no .xlsx suffix
    assert ISSUES_SHEET in workbook.sheetnames
    assert workbook[ISSUES_SHEET].max_row > 18
    assert workbook.worksheets[0]["B7"].comment is not None


def test_fixing_a_cell_in_place_updates_the_counts_without_leaving_the_page(on_batch_page):
    page = on_batch_page
    before = int(page.locator("#count-invalid").inner_text())
    page.goto(page.url + "?rule=checksum#rows")
    form = page.locator("#row-7 form.fix-form")
    form.locator("input[name=value]").fill("120101195901154755")
    form.locator("button").click()
    page.wait_for_selector("#row-7 .fix-result.ok")
    assert page.locator("#row-7 .fix-result").inner_text() == "已修正"
    assert int(page.locator("#count-invalid").inner_text()) == before - 1


def test_the_batch_page_follows_a_background_verification_and_reloads_when_done(browser_page, live_server, collector_a):
    from collection.choices import BatchStatus
    from collection.models import Batch
    from tests.collection.batch_fixtures import make_batch

    batch = make_batch("370602002", collector_a, status=BatchStatus.VERIFYING, progress=30)
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(f"{live_server.url}/collection/batches/{batch.pk}/")
    wait_until(page, "document.getElementById('progress-bar').style.width === '30%'")  # from data-progress
    Batch.objects.filter(pk=batch.pk).update(progress=70)
    wait_until(page, "document.getElementById('progress-bar').style.width === '70%'")
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.NEEDS_FIX, progress=100)
    page.wait_for_selector("#download-report")  # reloaded: verified, the downloads appear
    assert page.locator("#progress-card").count() == 0
    assert page.locator("#batch-status").inner_text() == "待修正"


def test_the_upload_shows_its_byte_progress_then_the_verification(browser_page, live_server, collector_a, catalog,
                                                                  media):  # fmt: skip
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(f"{live_server.url}/collection/upload/")
    # Record what the progress line says while the file goes up (the page is left as soon as the server answers).
    page.evaluate("""() => { window.seen = []; new MutationObserver(() => window.seen.push(
        document.getElementById('upload-progress-text').textContent)).observe(
        document.getElementById('upload-progress-text'), {childList: true, characterData: true, subtree: true}); }""")
    page.set_input_files("#id_file", str(MESSY))
    with page.expect_request("**/collection/upload/") as sent:
        page.click("#upload-submit")
    assert sent.value.method == "POST"
    wait_until(page, "window.seen && window.seen.some(t => t.indexOf('正在核验') >= 0)")
    seen = page.evaluate("window.seen")
    assert any(t.startswith("正在上传：") and "%" in t for t in seen)
    page.wait_for_url("**/collection/batches/*/")


def test_a_refused_file_sent_with_progress_shows_the_chinese_reason(browser_page, live_server, collector_a, catalog,
                                                                    media):  # fmt: skip
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(f"{live_server.url}/collection/upload/")
    page.set_input_files("#id_file", str(DATA / "bad" / "html_page.xlsx"))
    page.click("#upload-submit")
    page.wait_for_selector("#upload-errors")
    assert "文件未被接收" in page.locator("#upload-errors").inner_text()
