import pytest

from regions.choices import Role
from tests.browser.conftest import login
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_collector(regions):
    return make_user("demo_collector", Role.COLLECTOR, "370602002", first_name="东山街道采集员")


def test_a_collector_logs_in_and_sees_the_home_page_with_their_name(browser_page, live_server, demo_collector):
    login(browser_page, live_server, "demo_collector", PASSWORD)
    assert browser_page.locator(".userbox .username").inner_text() == "东山街道采集员"
    assert "东山街道 · 采集员" in browser_page.locator(".userbox .roles").inner_text()
    assert browser_page.locator("h1").inner_text().startswith("欢迎")


def test_a_wrong_password_keeps_the_user_on_the_login_page(browser_page, live_server, demo_collector):
    browser_page.goto(f"{live_server.url}/accounts/login/")
    browser_page.fill("#id_username", "demo_collector")
    browser_page.fill("#id_password", "wrong")
    browser_page.click("button[type=submit]")
    assert "用户名或密码不正确" in browser_page.locator(".error").inner_text()


def test_the_navigation_fits_on_one_line_of_an_office_screen(browser_page, live_server, demo_collector):
    login(browser_page, live_server, "demo_collector", PASSWORD)
    header = browser_page.locator(".topbar").bounding_box()
    assert header["height"] <= 60
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_the_page_and_swagger_ui_request_nothing_from_outside(browser_page, live_server, demo_collector):
    requested = []
    browser_page.on("request", lambda request: requested.append(request.url))
    login(browser_page, live_server, "demo_collector", PASSWORD)
    browser_page.goto(f"{live_server.url}/api/docs/")
    browser_page.wait_for_selector(".swagger-ui .info .title")
    assert "基层数据归集平台 API" in browser_page.locator(".swagger-ui .info .title").inner_text()
    assert [url for url in requested if not url.startswith(live_server.url)] == []
