"""数据共享 pages: administrators create clients (token shown once), rotate and revoke them, search and export the
access log (formula-like text stays text)."""

import io

import pytest
from openpyxl import load_workbook

from grassroots.xlsx import XLSX_CONTENT_TYPE
from regions.choices import Role
from sharing.models import AccessLog, ApiClient
from tests.conftest import COUNTY_A, make_user
from tests.sharing.conftest import http, make_client


@pytest.fixture
def admin_web(client, platform_admin):
    client.force_login(platform_admin)
    return client


def test_an_admin_creates_a_client_and_sees_its_token_once(admin_web, catalog):
    form = {"name": "残联系统", "subcategories": "P0209, p0301", "region": COUNTY_A, "max_sensitivity": "internal",
            "rate_limit": 60, "expires_days": 30}  # fmt: skip
    response = admin_web.post("/sharing/clients/new/", form)
    token = response.context["token"]
    assert token.startswith("gra_") and token in response.content.decode()
    client = ApiClient.objects.get(name="残联系统")
    assert sorted(client.subcategories.values_list("code", flat=True)) == ["P0209", "P0301"]
    assert token not in admin_web.get(f"/sharing/clients/{client.pk}/").content.decode()
    assert client.audit.get().acting_user.username == "platform_admin"


def test_unknown_subcategories_are_refused(admin_web, catalog):
    form = {"name": "x", "subcategories": "Z9999", "region": COUNTY_A, "max_sensitivity": "internal", "rate_limit": 1}
    response = admin_web.post("/sharing/clients/new/", form)
    assert "Z9999" in response.content.decode() and not ApiClient.objects.exists()


def test_an_admin_of_a_county_cannot_create_a_client_for_another(client, catalog, regions):
    client.force_login(make_user("admin_zhifu", Role.PLATFORM_ADMIN, COUNTY_A))
    form = {"name": "x", "subcategories": "P0101", "region": "370611", "max_sensitivity": "internal", "rate_limit": 1}
    response = client.post("/sharing/clients/new/", form)
    assert "超出您的管理范围" in response.content.decode() and not ApiClient.objects.exists()


def test_rotate_and_revoke_from_the_page(admin_web, base_data):
    client, token = make_client()
    new = admin_web.post(f"/sharing/clients/{client.pk}/rotate/").context["token"]
    assert http(token).get("/api/v1/stats/").status_code == 401
    assert http(new).get("/api/v1/stats/").status_code == 200
    admin_web.post(f"/sharing/clients/{client.pk}/revoke/", {"note": "停用"})
    assert http(new).get("/api/v1/stats/").status_code == 401
    assert list(client.audit.order_by("id").values_list("action", flat=True)) == ["create", "rotate", "revoke"]


def test_an_officer_cannot_rotate(client, officer_a, base_data):
    api_client, _ = make_client()
    client.force_login(officer_a)
    assert client.post(f"/sharing/clients/{api_client.pk}/rotate/").status_code == 403


def test_the_access_log_is_searched_and_exported_with_formulas_as_text(admin_web, base_data):
    one, _ = make_client(name="=1+1")
    two, _ = make_client(name="乙")
    AccessLog.objects.create(client=one, endpoint="records", method="GET", params={"v.name": "=HYPERLINK(1)"},
                             records=3, status=200)  # fmt: skip
    AccessLog.objects.create(client=two, endpoint="match", method="POST", params={"keys": 5}, records=1, status=200)
    page = admin_web.get("/sharing/access-log/", {"client": one.pk})
    assert [e.client.name for e in page.context["page"]] == ["=1+1"]
    export = admin_web.get("/sharing/access-log/", {"endpoint": "records", "export": "xlsx"})
    assert export["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][5] == "v.name==HYPERLINK(1)"
    name = sheet.cell(row=2, column=2)
    assert (name.value, name.data_type, name.quotePrefix) == ("=1+1", "s", True)


def test_the_new_client_form_offers_only_the_admins_own_regions_with_chinese_labels(client, regions):
    client.force_login(make_user("admin_zhifu_form", Role.PLATFORM_ADMIN, COUNTY_A))
    page = client.get("/sharing/clients/new/").content.decode()
    assert f'<option value="{COUNTY_A}">' in page and '<option value="370602002">' in page
    assert '<option value="370611">' not in page and '<option value="3706">' not in page
    assert "可读区域：" in page and "名称：" in page
