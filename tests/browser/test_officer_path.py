"""The data officer's path in a real browser, at 1366×768 and at 390 px (issue 15): the review queue, the 入库预览
with each changed item before → after and the people another township holds, confirming, a conflict resolved on its
own page (人工修改 with nothing chosen refused first), then reverting the whole batch from one record's page, with
the batch's log showing the revert. Every page: no sideways scroll, no link answering 403 for the officer; a
screenshot of each page under tests/browser/screenshots/ (ignored by git)."""

import pytest

from basedb.merge import merge_batch
from basedb.models import Record
from collection.choices import BatchStatus
from collection.models import Batch
from tests.basedb.conftest import person, staged_batch
from tests.browser.conftest import login
from tests.browser.test_collector_path import LINKS, NO_SIDEWAYS_SCROLL, SHOTS, SIZES
from tests.conftest import PASSWORD, TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.browser


def check_page(page, name: str, size: str) -> None:
    """No sideways scroll, every link opens for the officer (not 403), and a full-page screenshot."""
    assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at {size}"
    origin = "/".join(page.url.split("/", 3)[:3])
    for href in sorted(set(page.evaluate(LINKS))):
        status = page.request.get(origin + href).status
        assert status != 403, f"{name} links to {href}, which answers 403"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"officer-{name}-{size}.png"), full_page=True)


def waiting_batch(collector) -> Batch:
    """Township A holds persons 1-3 and township B person 9; A's new batch changes person 1's phone, repeats person
    2, reports person 9 (held by B), adds person 10, and has one row with errors."""
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2), person(3)]), acting_user=None)
    merge_batch(staged_batch(TOWNSHIP_B, [person(9)]), acting_user=None)
    rows = [person(1, phone="13000000001"), person(2), person(9, phone="13000000009"), person(10), person(11)]
    batch = staged_batch(TOWNSHIP_A, rows, invalid={4}, user=collector)
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.NEEDS_FIX, valid=4, invalid=1)
    return batch


@pytest.mark.parametrize("size", list(SIZES))
def test_the_officers_path_from_the_queue_through_the_preview_to_a_recorded_revert(
    browser_page, live_server, officer_a, collector_a, catalog, size
):
    batch, page, url = waiting_batch(collector_a), browser_page, live_server.url
    page.set_viewport_size(SIZES[size])
    login(page, live_server, "officer_a", PASSWORD)
    check_page(page, "home", size)

    page.goto(f"{url}/collection/review/")
    assert f"#{batch.pk}" in page.locator("table.review-queue").inner_text()
    check_page(page, "queue", size)
    with page.expect_navigation():
        page.click(f"a.button[href='/collection/review/{batch.pk}/']")
    check_page(page, "review", size)

    with page.expect_navigation():
        page.click("#to-preview")
    counts = [page.locator(f"#preview-{name}").inner_text() for name in ("created", "updated", "unchanged")]
    assert counts == ["1", "1", "1"] and page.locator("#preview-conflicts").inner_text() == "1"
    updates = page.locator("#updates").inner_text()
    assert "联系电话" in updates and "138****0001" in updates and "130****0001" in updates
    assert "测试1 370602********0001" in updates  # whose record: the name and the masked ID number
    assert "向阳街道（370602001）" in page.locator("#conflicts").inner_text()
    assert "1 行未通过核验，不会入库，仍留在批次中待修正" in page.locator("#left-behind").inner_text()
    check_page(page, "preview", size)

    with page.expect_navigation():
        page.click("#approve")
    assert "已入库" in page.locator(".messages").inner_text()
    assert "审核通过并入库" in page.locator("#batch-log").inner_text()
    check_page(page, "approved", size)

    page.goto(f"{url}/basedb/conflicts/")
    check_page(page, "conflicts", size)
    with page.expect_navigation():
        page.click("#conflicts a.button:has-text('处理')")
    check_page(page, "conflict", size)
    page.check("input[name=decision][value=edit]")
    page.fill("textarea[name=note]", "核实中")
    with page.expect_navigation():
        page.click("#resolve-submit")
    assert "人工修改须至少为一个数据项" in page.locator("#resolve-errors").inner_text()
    check_page(page, "conflict-refused", size)
    page.check("input[name=decision][value=keep_existing]")
    page.fill("textarea[name=note]", "户籍仍在向阳街道")
    with page.expect_navigation():
        page.click("#resolve-submit")
    page.goto(f"{url}/basedb/conflicts/?status=resolved")
    assert "说明：户籍仍在向阳街道" in page.locator("#conflicts").inner_text()
    check_page(page, "conflicts-resolved", size)

    record = Record.objects.get(entity__key=person(1)["id_number"])
    page.goto(f"{url}/basedb/records/{record.pk}/")
    assert f"撤销入库作用于整个批次 #{batch.pk}（共 5 行，2 条记录），不只是本记录" in page.inner_text("body")
    check_page(page, "record", size)
    with page.expect_navigation():
        page.click("#revert")
    assert page.locator("#revert-records").inner_text() == "2"
    check_page(page, "revert-confirm", size)
    with page.expect_navigation():
        page.click("#revert-confirm")
    assert page.locator("#reverted-badge").is_visible()
    assert "本记录已恢复为该批次入库前的值" in page.locator(".reverted-banner").inner_text()
    check_page(page, "reverted-record", size)

    page.goto(f"{url}/collection/review/{batch.pk}/")
    assert "撤销入库：2 条记录受影响（注销新增的 1 条，恢复更新的 1 条）" in page.locator("#batch-log").inner_text()
    assert page.locator("#reverted-note").is_visible()
    check_page(page, "log", size)
