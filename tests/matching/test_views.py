"""The matching pages: rules and counts, the rule editor, work lists and the entry page, the export."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from matching.choices import EntryStatus
from matching.models import Rule, WorkEntry
from matching.reasons import age_on
from regions.choices import Role
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B, make_user

from .scenario import BY_NAME, evaluate_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(town, media_root):
    evaluate_json()
    return town


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rules_admin(regions):
    return make_user("rules_admin", Role.RULES_ADMIN, "3706")


def page(client, user, url: str, **kwargs) -> str:
    client.force_login(user)
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_collector_sees_the_work_list_of_their_township_only(evaluated, client, collector_a):
    html = page(client, collector_a, "/matching/rules/medical_insurance_gap/entries/")
    assert "王二" in html and "吴八" not in html
    assert BY_NAME["王二"].id_number not in html, "the ID number is masked"
    assert BY_NAME["王二"].id_number[:6] + "********" in html


def test_an_entry_of_another_township_is_a_404(evaluated, client, collector_b):
    entry = WorkEntry.objects.get(rule__code="medical_insurance_gap", region_id=TOWNSHIP_A)
    client.force_login(collector_b)
    assert client.get(f"/matching/entries/{entry.pk}/").status_code == 404


def test_the_entry_page_tells_why_and_records_the_finding(evaluated, client, collector_a):
    entry = WorkEntry.objects.get(rule__code="elderly_allowance_gap", entity__display_name="赵四")
    html = page(client, collector_a, f"/matching/entries/{entry.pk}/")
    assert f"年龄不小于 80 周岁（现 {age_on('1941-03-02', date.today())} 周岁）" in html
    assert "无“高龄津贴对象”有效记录" in html and "无“死亡人口”有效记录" in html
    assert "1941-03-02" not in html, "the birth date is personal"
    response = client.post(f"/matching/entries/{entry.pk}/", {"status": EntryStatus.CONFIRMED, "note": "入户核实"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.note, entry.handled_by) == (EntryStatus.CONFIRMED, "入户核实", collector_a)


def test_a_refutation_without_its_fact_is_refused_in_chinese(evaluated, client, collector_a):
    entry = WorkEntry.objects.get(rule__code="elderly_allowance_gap", entity__display_name="赵四")
    client.force_login(collector_a)
    html = client.post(f"/matching/entries/{entry.pk}/", {"status": EntryStatus.REFUTED}).content.decode()
    assert "选择“不属实”时，请选择原因" in html
    assert WorkEntry.objects.get(pk=entry.pk).status == EntryStatus.PENDING


def test_an_officer_reads_counts_per_township_but_cannot_give_feedback(evaluated, client, officer_a):
    html = page(client, officer_a, "/matching/rules/medical_insurance_gap/")
    assert "东山街道" in html and "向阳街道" in html
    entry = WorkEntry.objects.get(rule__code="medical_insurance_gap", region_id=TOWNSHIP_A)
    assert "保存核实结果" not in page(client, officer_a, f"/matching/entries/{entry.pk}/")
    assert client.post(f"/matching/entries/{entry.pk}/", {"status": EntryStatus.DONE}).status_code == 403


def test_the_export_lists_the_entries_in_scope_masked(evaluated, client, officer_a):
    client.force_login(officer_a)
    response = client.get("/matching/rules/elderly_allowance_gap/entries.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("乡镇（街道）", "名称", "主体标识")
    assert sorted(r[1] for r in rows[1:]) == ["吴八", "赵四", "钱五"]
    assert all("********" in r[2] for r in rows[1:])
    assert not any("1941-03-02" in str(c) for r in rows for c in r)


def test_the_rules_admin_edits_a_rule_into_a_new_version(evaluated, client, rules_admin):
    rule = Rule.objects.get(code="elderly_allowance_gap")
    client.force_login(rules_admin)
    form = client.get(f"/matching/rules/{rule.code}/edit/").context["form"]
    data = {**form.initial, "name": "高龄津贴应享未享（90岁以上）", "note": "先核 90 岁以上"}
    data["logic"] = data["logic"].replace("gte: 80", "gte: 90")
    response = client.post(f"/matching/rules/{rule.code}/edit/", data)
    assert response.status_code == 302
    rule.refresh_from_db()
    version = rule.current_version
    assert (rule.version, version.acting_user, version.note) == (2, rules_admin, "先核 90 岁以上")
    assert set(version.changes) == {"name", "when"}
    html = page(client, rules_admin, f"/matching/rules/{rule.code}/")
    assert "第 2 版" in html and "先核 90 岁以上" in html


def test_the_editor_refuses_an_invalid_rule_with_chinese_errors(evaluated, client, rules_admin):
    rule = Rule.objects.get(code="elderly_allowance_gap")
    client.force_login(rules_admin)
    data = client.get(f"/matching/rules/{rule.code}/edit/").context["form"].initial
    data = {**data, "logic": data["logic"].replace("P0305", "P9999").replace("gte: 80", "gte: 八十")}
    html = client.post(f"/matching/rules/{rule.code}/edit/", data).content.decode()
    assert "规则未保存" in html
    assert "子类 P9999 不在数据目录中" in html and "年龄“八十”应为 0–150 的整数（周岁）" in html
    assert Rule.objects.get(pk=rule.pk).version == 1


def test_collectors_and_officers_cannot_edit_rules(evaluated, client, collector_a, officer_a):
    for user in (collector_a, officer_a):
        client.force_login(user)
        assert client.get("/matching/rules/elderly_allowance_gap/edit/").status_code == 403
        assert client.get("/matching/rules/new/").status_code == 403


def test_the_rule_list_counts_what_the_user_may_see(evaluated, client, collector_b):
    html = page(client, collector_b, "/matching/")
    assert "医保缴费扩面（未参保人员）" in html
    assert WorkEntry.objects.filter(region_id=TOWNSHIP_B, closed_at__isnull=True).count() == 2


@pytest.fixture
def medical_department_user(regions):
    from regions.choices import DepartmentRole
    from regions.departments import add_member, save_department

    user = make_user("yibao_user")
    department = save_department("市医保局", region_code="3706", acting_user=None)
    add_member(department, user, DepartmentRole.UPLOADER, acting_user=None)
    return user


def test_the_owning_department_sees_its_rules_counts_and_lists_in_every_township(
    evaluated, client, medical_department_user
):
    html = page(client, medical_department_user, "/matching/rules/medical_insurance_gap/")
    assert "东山街道" in html and "向阳街道" in html
    html = page(client, medical_department_user, "/matching/rules/medical_insurance_gap/entries/")
    assert "王二" in html and "吴八" in html
    client.force_login(medical_department_user)
    response = client.get("/matching/rules/medical_insurance_gap/entries.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert sorted(r[1] for r in rows[1:]) == ["吴八", "王二"]


def test_a_department_sees_no_entries_of_another_departments_rules(evaluated, client, medical_department_user):
    html = page(client, medical_department_user, "/matching/rules/elderly_allowance_gap/entries/")
    assert "赵四" not in html and "没有符合筛选条件的名单条目" in html
    entry = WorkEntry.objects.get(rule__code="elderly_allowance_gap", entity__display_name="赵四")
    client.force_login(medical_department_user)
    assert client.get(f"/matching/entries/{entry.pk}/").status_code == 404
