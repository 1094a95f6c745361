"""下载核对表 in a real browser (issue 15 item 13): the page says it is working while the file is built, the file
arrives as a download (streamed from the server's temporary file) holding the township's records in the template's
layout, and the page is ready for the next download."""

import pytest
from openpyxl import load_workbook

from basedb.merge import merge_batch
from catalog.templates_xlsx import read_template_meta
from tests.basedb.conftest import person, staged_batch
from tests.browser.conftest import login, wait_until
from tests.conftest import PASSWORD, TOWNSHIP_A

pytestmark = pytest.mark.browser

# Records each change of the busy indicator's hidden state (a small file comes back within one poll of the page).
WATCH_BUSY = """() => { const busy = document.getElementById("patch-busy"); window.__busy = [];
  new MutationObserver(() => window.__busy.push(busy.hidden)).observe(busy, {attributes: true}); }"""


def test_a_collector_downloads_the_townships_patch_workbook(browser_page, live_server, collector_a, catalog, tmp_path):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 4)]), acting_user=None)
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(f"{live_server.url}/basedb/patch/")
    page.select_option("#id_region", TOWNSHIP_A)
    page.select_option("#id_subcategory", "P0101")
    assert "两三秒" in page.text_content("#patch-busy-text")
    page.evaluate(WATCH_BUSY)
    with page.expect_download() as download:
        page.click("#patch-submit")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.endswith("_370602002_核对表.xlsx")
    ready = "document.getElementById('patch-busy').hidden && !document.getElementById('patch-submit').disabled"
    wait_until(page, ready)  # the page saw the download start and takes the next one
    assert page.evaluate("window.__busy") == [False, True]  # shown while the file was built, hidden after
    assert read_template_meta(path).sheets == {"P0101户籍人口": "P0101"}
    ws = load_workbook(path)["P0101户籍人口"]
    assert [ws.cell(row, 2).value for row in range(2, 6)] == [person(n)["id_number"] for n in range(1, 4)] + [None]
