"""In a real browser a department user (市医保局) uploads a county-wide roster (数据下沉): the rows go to their
townships, the unroutable one is marked 无法确定所属乡镇 on the batch page, and the department's reviewer approves it
from the review queue."""

import pytest

from basedb.models import Record
from regions.choices import DepartmentRole
from regions.departments import add_member, save_department
from tests.browser.conftest import login
from tests.browser.test_upload import drop_file
from tests.collection.batch_fixtures import media
from tests.collection.intake_fixtures import write_xlsx
from tests.collection.test_routing import HEADER, HELD_A, HELD_B, UNKNOWN, held, person_row
from tests.conftest import PASSWORD, TOWNSHIP_A, TOWNSHIP_B, make_user

pytestmark = pytest.mark.browser
__all__ = ["held", "media"]  # fixtures used below


@pytest.fixture
def department(regions):
    dept = save_department("市医保局", region_code="3706", acting_user=None)
    for name, role in (("yibao", DepartmentRole.UPLOADER), ("yibao_review", DepartmentRole.REVIEWER)):
        add_member(dept, make_user(name), role, acting_user=None)


def test_a_department_uploads_a_county_roster_and_its_reviewer_approves_it(
    browser_page, live_server, catalog, media, held, department, tmp_path
):
    roster = write_xlsx(
        tmp_path / "芝罘区医保参保名单.xlsx",
        [["所属乡镇（街道）", *HEADER], ["", *person_row(HELD_A, "1")], ["向阳街道", *person_row(HELD_B, "2")],
         ["", *person_row(UNKNOWN, "1")]],
    )  # fmt: skip
    page = browser_page
    login(page, live_server, "yibao", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.click("nav.mainnav >> text=数据上报")
    page.select_option("#id_region", "370602")
    drop_file(page, "#dropzone", roster)
    page.wait_for_selector("#chosen-file:has-text('芝罘区医保参保名单.xlsx')")
    with page.expect_navigation(url="**/collection/batches/*/"):
        page.click("#upload-submit")
    assert page.locator("#batch-status").inner_text() == "待修正"
    assert page.locator("#count-rows").inner_text() == "3"
    assert "无法确定所属乡镇" in page.locator("#issues-by-rule").inner_text()
    assert "基础库中也没有" in page.locator("#rows").inner_text()

    batch = page.url.rstrip("/").rsplit("/", 1)[-1]

    page.context.clear_cookies()
    login(page, live_server, "yibao_review", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.click("nav.mainnav >> text=核验审核")
    with page.expect_navigation(url=f"**/collection/review/{batch}/"):
        page.click(f'a[href="/collection/review/{batch}/"]')
    with page.expect_navigation():
        page.click("#to-preview")
    with page.expect_navigation():
        page.click("#approve")
    records = dict(Record.objects.filter(subcategory__code="P0307").values_list("entity__key", "region_id"))
    assert records == {HELD_A[1]: TOWNSHIP_A, HELD_B[1]: TOWNSHIP_B}
