"""403/404/500 pages in Chinese, with the reason and a link home, also with DEBUG=False."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path

from grassroots.urls import urlpatterns as project_urls


def chinese_denial(request):
    raise PermissionDenied("只有平台管理员可以管理数据共享")


def english_denial(request):
    raise PermissionDenied("internal check failed")


def boom(request):
    raise RuntimeError("deliberate failure")


urlpatterns = [
    path("test-denied-zh", chinese_denial),
    path("test-denied-en", english_denial),
    path("test-boom", boom),
    *project_urls,
]
handler403 = "grassroots.views.permission_denied"
handler404 = "grassroots.views.page_not_found"
handler500 = "grassroots.views.server_error"

pytestmark = pytest.mark.urls(__name__)


@override_settings(DEBUG=False)
def test_a_permission_denied_shows_its_chinese_reason_and_a_link_home(client, collector_a):
    client.force_login(collector_a)
    response = client.get("/test-denied-zh")
    page = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in page
    assert "只有平台管理员可以管理数据共享" in page
    assert 'href="/"' in page
    assert "Forbidden" not in page


@override_settings(DEBUG=False)
def test_an_english_denial_message_is_replaced_by_a_generic_chinese_text(client, collector_a):
    client.force_login(collector_a)
    page = client.get("/test-denied-en").content.decode()
    assert "internal check failed" not in page
    assert "您没有访问此页面的权限" in page


@override_settings(DEBUG=False)
def test_the_sharing_page_denies_a_collector_in_chinese(client, collector_a):
    client.force_login(collector_a)
    response = client.get("/sharing/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


@override_settings(DEBUG=False)
def test_an_unknown_url_shows_a_chinese_not_found_page(client, collector_a):
    client.force_login(collector_a)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page
    assert "Not Found" not in page
    assert 'href="/"' in page


@override_settings(DEBUG=False)
def test_a_server_error_shows_a_chinese_page(db):
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom")
    page = response.content.decode()
    assert response.status_code == 500
    assert "服务器内部错误" in page
    assert 'href="/"' in page
