"""The report pages: numbers that open exactly their records (masked), confirming with notes, the confirmed version,
the official download, and the form editor (Chinese validation, versions with who and what)."""

import io
import re

import pytest
from openpyxl import load_workbook

from regions.choices import Role
from reports.loader import load_reports
from reports.models import ReportForm, Submission
from tests.conftest import login, make_user

from .scenario import COUNTY_A, COUNTY_ROWS, PEOPLE, TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.django_db
QUERY = "as_of=2026-03-31"


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def collector(county, client):
    return login(client, make_user("collector_a", Role.COLLECTOR, TOWNSHIP_A))


def test_the_report_links_every_number_to_its_records(county, client):
    login(client, make_user("officer_a", Role.OFFICER, COUNTY_A))
    page = page_of(client, f"/reports/fill/population_overview/?region={COUNTY_A}&{QUERY}")
    link = f"cell/?region={COUNTY_A}&amp;{QUERY}&amp;row={TOWNSHIP_A}&amp;column=total"
    assert re.search(rf'href="/reports/fill/population_overview/{re.escape(link)}">{COUNTY_ROWS[TOWNSHIP_A][0]}<', page)
    assert f'href="?region={TOWNSHIP_A}&amp;{QUERY}"' in page  # a row opens the township's own report


def test_the_records_behind_a_number_are_listed_with_id_numbers_masked(collector):
    cell = f"?region={TOWNSHIP_A}&{QUERY}&row=total&column=age_60_plus"
    page = page_of(collector, f"/reports/fill/population_overview/cell/{cell}")
    assert ">3</b>" in page
    for person in PEOPLE:
        assert person.id_number not in page
        assert person.born not in page
    assert {"张一", "王二", "李三"} <= set(re.findall(r'/basedb/records/\d+/">([^<]+)<', page))
    assert "370602********" in page


def test_confirming_keeps_the_values_and_the_cell_notes(collector):
    url = f"/reports/fill/population_overview/confirm/?region={TOWNSHIP_A}&{QUERY}"
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page_of(collector, url)).group(1)
    response = collector.post(url, {"fingerprint": fingerprint, "note:total|age_80_plus": "张一今日满80周岁"})
    submission = Submission.objects.get()
    assert response.url == f"/reports/submissions/{submission.pk}/"
    page = page_of(collector, response.url)
    assert "张一今日满80周岁" in page and "第 1 次确认" in page
    assert submission.total["values"]["total"] == COUNTY_ROWS[TOWNSHIP_A][0]


def test_a_stale_confirmation_is_refused_with_a_chinese_message(collector):
    url = f"/reports/fill/population_overview/confirm/?region={TOWNSHIP_A}&{QUERY}"
    response = collector.post(url, {"fingerprint": "0" * 64}, follow=True)
    assert "报表数据在您查看后已有变化" in response.content.decode()
    assert not Submission.objects.exists()


@pytest.mark.parametrize(("role", "region"), [(Role.COLLECTOR, TOWNSHIP_B), (Role.CATALOG_ADMIN, TOWNSHIP_A)])
def test_confirming_another_regions_report_is_not_found(county, client, role, region):
    login(client, make_user("outsider", role, region))
    response = client.post(f"/reports/fill/population_overview/confirm/?region={TOWNSHIP_A}&{QUERY}", {})
    assert response.status_code == 404
    assert not Submission.objects.exists()


def test_the_download_is_an_official_form_signed_by_whoever_confirmed(collector):
    url = f"/reports/fill/population_overview/confirm/?region={TOWNSHIP_A}&{QUERY}"
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page_of(collector, url)).group(1)
    collector.post(url, {"fingerprint": fingerprint, "note:none|total": "=1+1 待落位"})
    response = collector.get(f"/reports/submissions/{Submission.objects.get().pk}/report.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    texts = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert sheet["A1"].value == "人口基本情况统计表"
    assert any("制表人：collector_a" in t for t in texts)
    assert "未落到下级区划·户籍人口总数：=1+1 待落位" in texts
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_the_county_page_shows_which_townships_confirmed(collector, client):
    url = f"/reports/fill/population_overview/confirm/?region={TOWNSHIP_A}&{QUERY}"
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page_of(collector, url)).group(1)
    collector.post(url, {"fingerprint": fingerprint})
    login(client, make_user("officer_a", Role.OFFICER, COUNTY_A))
    page = page_of(client, f"/reports/fill/population_overview/?region={COUNTY_A}&{QUERY}")
    row = re.search(rf'data-row="{TOWNSHIP_A}">(.*?)</tr>', page, re.S).group(1)
    assert "已确认" in row
    assert "已确认下级汇总" in page and "1 / " in page


def test_an_administrator_edits_a_form_and_gets_chinese_errors_then_a_new_version(forms_loaded, client):
    admin = login(client, make_user("platform_admin", Role.PLATFORM_ADMIN, "3706"))
    url = "/reports/forms/population_overview/edit/"
    data = {"title": "人口基本情况统计表", "department": "县统计局", "active": "on", "note": "增加栏目",
            "logic": "subject: P0101\ncolumns:\n  - {code: total, label: 户籍人口总数}\n"
                     "  - {code: women, label: 女, when: [{item: sex, eq: 女}]}\n"}  # fmt: skip
    page = admin.post(url, data).content.decode()
    assert "报表未保存" in page and "代码表“性别”中没有代码“女”" in page
    assert ReportForm.objects.get(code="population_overview").version == 1
    data["logic"] = data["logic"].replace("eq: 女", "eq: '2'")
    assert admin.post(url, data).status_code == 302
    form = ReportForm.objects.get(code="population_overview")
    version = form.current_version
    assert (form.version, version.source, version.acting_user.username, version.note) == (2, "web", "platform_admin",
                                                                                         "增加栏目")  # fmt: skip
    assert "columns" in version.changes
    assert load_reports().kept_web_edits == ["population_overview"]
