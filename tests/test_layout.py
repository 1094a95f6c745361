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
