"""查看明文 on the 360° page in a real browser (issue 11 item 8): masked on arrival, one click with a reason shows
the collector's records in clear (the ID number never in the address), and the next visit is masked again."""

import pytest

from basedb.merge import merge_batch
from basedb.models import Entity
from sharing.models import AccessLog
from tests.basedb.conftest import person, staged_batch
from tests.browser.conftest import login
from tests.conftest import PASSWORD, TOWNSHIP_A

pytestmark = pytest.mark.browser

ID_NUMBER = person(1)["id_number"]


def test_a_collector_reveals_the_entity_page_with_a_reason(browser_page, live_server, collector_a, catalog):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=None)
    url = f"{live_server.url}/basedb/entities/{Entity.objects.get(key=ID_NUMBER).public_id}/"
    page = browser_page
    login(page, live_server, "collector_a", PASSWORD)
    page.goto(url)
    assert ID_NUMBER not in page.content()
    page.select_option("#reveal-form select[name=reason]", "correct")
    page.locator("#reveal-form button[type=submit]").click()
    page.wait_for_selector("text=已逐条记入个人信息访问日志")
    assert ID_NUMBER in page.content() and ID_NUMBER not in page.url
    assert AccessLog.objects.get().reason == "核对并更正数据"
    page.goto(url)
    assert ID_NUMBER not in page.content()
