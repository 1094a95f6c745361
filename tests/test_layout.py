"""The base layout: Chinese navigation, the user's name and regions, and nothing fetched from outside."""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

EXTERNAL_URL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.IGNORECASE)
ANY_URL = re.compile(r"https?://", re.IGNORECASE)
NAVIGATION = ["首页", "数据目录", "数据上报", "核验审核", "基础库", "业务匹配", "统计报表", "数据共享"]


def local_assets(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html)


def shipped(asset: str) -> bool:
    """The platform's own static files hold `asset` (served by WhiteNoise after collectstatic)."""
    return finders.find(asset.removeprefix("/static/")) is not None


def test_base_template_references_no_external_urls():
    base = (Path(settings.BASE_DIR) / "templates" / "base.html").read_text(encoding="utf-8")
    assert not ANY_URL.search(base)
    assert not EXTERNAL_URL.search(base)


def test_no_template_or_stylesheet_of_the_layout_loads_anything_from_outside():
    root = Path(settings.BASE_DIR)
    files = [*(root / "templates").rglob("*.html"), *(root / "static").rglob("*.css")]
    offenders = [str(f) for f in files if EXTERNAL_URL.search(f.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_home_page_shows_the_navigation_in_order(client, platform_admin):
    client.force_login(platform_admin)
    page = client.get("/").content.decode()
    positions = [page.index(f">{label}</a>") for label in NAVIGATION]
    assert positions == sorted(positions)


def test_navigation_hides_what_the_user_cannot_use(client, collector_a, officer_a):
    client.force_login(collector_a)
    page = client.get("/").content.decode()
    assert ">数据上报</a>" in page
    assert ">核验审核</a>" not in page
    assert ">数据共享</a>" not in page
    client.force_login(officer_a)
    page = client.get("/").content.decode()
    assert ">核验审核</a>" in page
    assert ">数据共享</a>" not in page
    assert ">数据上报</a>" not in page and client.get("/collection/upload/").status_code == 403  # no link to a 403


def test_the_header_shows_the_users_chinese_name_and_region_roles(client, officer_a):
    officer_a.first_name = "李核验"
    officer_a.save()
    client.force_login(officer_a)
    page = client.get("/").content.decode()
    assert '<span class="username" title="officer_a">李核验</span>' in page
    assert "芝罘区 · 核验员" in page


def test_the_rendered_home_page_fetches_only_its_own_static_files(client, collector_a):
    client.force_login(collector_a)
    page = client.get("/").content.decode()
    assert not EXTERNAL_URL.search(page)
    assets = local_assets(page)
    assert "/static/css/app.css" in assets
    assert all(shipped(asset) for asset in assets)


def test_the_admin_link_is_shown_to_staff_only(client, collector_a, platform_admin):
    client.force_login(collector_a)
    assert "管理后台" not in client.get("/").content.decode()
    client.force_login(platform_admin)
    assert "管理后台" in client.get("/").content.decode()


def test_swagger_ui_loads_with_local_assets_only(client, db):
    response = client.get("/api/docs/")
    page = response.content.decode()
    assert response.status_code == 200
    assert not ANY_URL.search(page)
    assets = local_assets(page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(shipped(asset) for asset in assets)


def test_the_api_schema_describes_token_authentication(client, db):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert b"tokenAuth" in schema.content


def test_the_api_schema_is_described_in_chinese(client, db):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"}).json()
    assert "基层数据归集平台" in schema["info"]["description"]


def test_identifiers_and_dates_are_kept_whole_while_chinese_text_stays_breakable():
    from grassroots.templatetags.layout import ident

    html = ident("公民身份号码 340421197904036530 与出生日期 2088-11-18 不一致")
    assert '<span class="ident">340421197904036530</span>' in html
    assert '<span class="ident">2088-11-18</span>' in html
    assert "公民身份号码" in html and '<span class="ident">公民' not in html


def test_the_identifier_filter_escapes_what_it_wraps():
    from grassroots.templatetags.layout import ident

    assert ident("<b>x</b> 是") == '<span class="ident">&lt;b&gt;x&lt;/b&gt;</span> 是'
    assert ident(None) == ""


def test_a_token_too_long_for_a_phone_stays_breakable():
    from grassroots.templatetags.layout import ident

    assert "ident" not in ident("x" * 41)


def test_page_numbers_show_the_ends_and_the_pages_around_the_current_one():
    from grassroots.templatetags.layout import page_numbers

    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 5) == [1, 2, 3, 4, 5]
    assert page_numbers(11, 21) == [1, None, 9, 10, 11, 12, 13, None, 21]
    assert page_numbers(21, 21) == [1, None, 19, 20, 21]


def test_the_pagination_bar_keeps_the_filters_and_offers_a_jump_to_any_page(rf):
    from django.core.paginator import Paginator
    from django.template import Context, Template

    request = rf.get("/x/", {"rule": "checksum", "page": "3"})
    page = Paginator(range(1008), 48).get_page(3)
    template = Template('{% load layout %}{% pagination page "#rows" %}')
    html = template.render(Context({"request": request, "page": page}))
    assert 'href="?rule=checksum&amp;page=4#rows"' in html  # 下一页 keeps the filter
    assert '<span class="current" aria-current="page">3</span>' in html
    assert 'aria-label="第 21 页"' in html
    assert '<input type="hidden" name="rule" value="checksum">' in html
    assert 'name="page" min="1" max="21"' in html


def test_the_top_bar_has_a_menu_button_for_narrow_screens_and_no_inline_script(client, collector_a):
    client.force_login(collector_a)
    page = client.get("/").content.decode()
    assert 'id="menu-toggle" aria-controls="topbar-menu" aria-expanded="false"' in page
    assert '<script src="/static/js/layout.js"></script>' in page
    assert "<script>" not in page
