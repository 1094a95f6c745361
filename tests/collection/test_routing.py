"""A department's county- or city-wide roster (数据下沉): every row routed to its township, never guessed.

Rows go by the file's township/village/grid column when it has one, else by the township that already holds the
person in the base database; a row that cannot be routed is a `region_unresolved` error with a Chinese message.
The merge gives each record its row's township; the CLI's JSON reports counts per township.
"""

import io
import json

import pytest
from django.core.management import call_command

from basedb.models import Record
from collection.models import Batch, BatchIssue
from regions.choices import DepartmentRole
from regions.departments import add_member, save_department
from tests.collection.batch_fixtures import media  # noqa: F401 (fixture)
from tests.collection.intake_fixtures import write_xlsx
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_B, make_user
from tests.matching.scenario import id_number, merge

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")

HEADER = ["姓名", "公民身份号码", "性别", "现住址", "医疗保险类型", "参保状态"]
HELD_A = ("张一", id_number("370602", "1981-05-01", 11))
HELD_B = ("王二", id_number("370602", "1996-02-10", 22))
UNKNOWN = ("李三", id_number("370602", "1938-01-15", 31))
OTHER = ("赵四", id_number("370602", "1941-03-02", 42))  # held by a township of another county


def person_row(person, sex: str) -> list:
    name, number = person
    return [name, number, sex, "芝罘区幸福路1号", "职工基本医疗保险", "参保缴费"]


@pytest.fixture
def held(db):
    """张一 lives in township A, 王二 in township B, 赵四 in a township of 福山区 (P0101 records)."""
    for region, (name, number), sex in ((TOWNSHIP_A, HELD_A, "1"), (TOWNSHIP_B, HELD_B, "2"),
                                         (OTHER_COUNTY + "001", OTHER, "2")):  # fmt: skip
        merge(region, "P0101", [{"name": name, "id_number": number, "sex": sex}])


def run(path, region: str, *extra) -> tuple[int, dict | list, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_workbook", str(path), "--region", region, "--json", *extra, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, {}, err.getvalue()
    return 0, json.loads(out.getvalue()), err.getvalue()


def test_rows_without_a_township_column_go_to_the_township_holding_the_person(tmp_path, held):
    rows = [HEADER, person_row(HELD_A, "1"), person_row(HELD_B, "2")]
    code, summary, _ = run(write_xlsx(tmp_path / "医保参保名单.xlsx", rows), COUNTY_A)
    assert code == 0 and summary["region"] == COUNTY_A and summary["created"] == 2
    records = dict(Record.objects.filter(subcategory__code="P0307").values_list("entity__key", "region_id"))
    assert records == {HELD_A[1]: TOWNSHIP_A, HELD_B[1]: TOWNSHIP_B}
    by_township = {t["region"]: t for t in summary["townships"]}
    assert by_township[TOWNSHIP_A]["created"] == 1 and by_township[TOWNSHIP_B]["created"] == 1
    assert by_township[TOWNSHIP_A]["name"] == "东山街道"


def test_a_person_the_base_database_does_not_hold_is_refused_with_a_chinese_message(tmp_path, held):
    rows = [HEADER, person_row(HELD_A, "1"), person_row(UNKNOWN, "1")]
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A)
    assert code == 0 and summary["invalid"] == 1 and summary["created"] == 1
    issue = next(i for i in summary["issues"] if i["rule"] == "region_unresolved")
    assert issue["row"] == 3 and issue["severity"] == "error"
    assert "基础库中也没有" in issue["message"] and "所属乡镇（街道）" in issue["message"]
    assert {"region": "unresolved", "name": "无法确定所属乡镇（街道）", "rows": 1, "valid": 0, "invalid": 1,
            "created": 0, "updated": 0, "unchanged": 0, "conflicts": 0} in summary["townships"]  # fmt: skip
    assert not Record.objects.filter(entity__key=UNKNOWN[1], subcategory__code="P0307").exists()


def test_a_person_held_outside_the_departments_county_is_not_sunk_there(tmp_path, held):
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", [HEADER, person_row(OTHER, "2")]), COUNTY_A)
    assert code == 0 and summary["invalid"] == 1
    [issue] = [i for i in summary["issues"] if i["rule"] == "region_unresolved"]
    assert "不在芝罘区" in issue["message"]


def test_a_township_column_routes_by_name_or_code_and_refuses_what_it_cannot_read(tmp_path, held):
    header = ["所属乡镇（街道）", *HEADER]
    rows = [
        header,
        ["向阳街道", *person_row(HELD_A, "1")],  # the column wins over the base database (A)
        ["370602002", *person_row(UNKNOWN, "1")],  # a code: not in the base database, routed by the column
        ["不存在街道", *person_row(HELD_B, "2")],  # a name that names nothing: an error, not the base database
        ["370611001", *person_row(OTHER, "2")],  # a township of another county
    ]
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A)
    assert code == 0 and summary["valid"] == 2 and summary["invalid"] == 2
    assert not any(i["rule"] == "unknown_column" for i in summary["issues"])  # the column is read, not ignored
    unresolved = {i["row"]: i for i in summary["issues"] if i["rule"] == "region_unresolved"}
    assert set(unresolved) == {4, 5}
    assert unresolved[4]["column"] == "所属乡镇（街道）" and "不存在街道" in unresolved[4]["message"]
    assert "不是芝罘区的区划代码" in unresolved[5]["message"]
    staged = dict(Batch.objects.get(region_id=COUNTY_A).staged_rows.values_list("row", "place"))
    assert staged[2] == TOWNSHIP_B and staged[3] == TOWNSHIP_A and staged[4] is None


def test_a_row_routed_to_another_township_than_its_record_is_a_conflict(tmp_path, held):
    merge(TOWNSHIP_A, "P0307", [{"name": HELD_A[0], "id_number": HELD_A[1], "sex": "1",
                                 "current_address": "芝罘区", "medical_insurance_type": "1"}])  # fmt: skip
    rows = [["乡镇", *HEADER], ["向阳街道", *person_row(HELD_A, "1")]]
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A)
    assert code == 0 and summary["conflicts"] == 1
    assert Record.objects.get(entity__key=HELD_A[1], subcategory__code="P0307").region_id == TOWNSHIP_A


def test_a_village_or_grid_column_routes_to_its_township(tmp_path, held, sample_villages):
    header = ["村（社区）", *HEADER, "所属网格"]
    rows = [header, ["370602001901", *person_row(UNKNOWN, "1"), ""], ["", *person_row(OTHER, "2"), "370602002901001"]]
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A)
    assert code == 0 and summary["valid"] == 2, summary["issues"]
    places = dict(Record.objects.filter(subcategory__code="P0307").values_list("entity__key", "place_id"))
    assert places[UNKNOWN[1]] == "370602001901" and places[OTHER[1]] == "370602002901001"


def test_a_city_wide_roster_reaches_townships_of_several_counties(tmp_path, held):
    rows = [HEADER, person_row(HELD_A, "1"), person_row(OTHER, "2")]
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), "3706")
    assert code == 0 and summary["created"] == 2
    assert {t["region"] for t in summary["townships"]} == {TOWNSHIP_A, OTHER_COUNTY + "001"}


def test_a_dry_run_reports_the_townships_without_storing(tmp_path, held):
    rows = [HEADER, person_row(HELD_A, "1"), person_row(UNKNOWN, "1")]
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A, "--dry-run")
    assert code == 0 and summary["created"] == 1 and not Batch.objects.filter(region_id=COUNTY_A).exists()
    assert [(t["region"], t["valid"]) for t in summary["townships"]] == [(TOWNSHIP_A, 1), ("unresolved", 0)]


def department_user(role=DepartmentRole.UPLOADER, region="3706"):
    department = save_department("市医保局", region_code=region, acting_user=None)
    user = make_user(f"dept_{role}")
    add_member(department, user, role, acting_user=None)
    return user


def test_a_department_user_uploads_its_own_subcategory_county_wide(tmp_path, held):
    user = department_user()
    rows = [HEADER, person_row(HELD_A, "1")]
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A, "--user", user.username)
    assert code == 0 and summary["valid"] == 1
    assert summary["status"] == "pending_review"  # uploaded, not merged: its reviewer decides


def test_a_department_user_cannot_upload_another_departments_subcategory(tmp_path, held):
    user = department_user()
    rows = [["姓名", "公民身份号码", "性别", "现住址", "低保类别"], [*HELD_A, "1", "芝罘区", "1"]]
    code, _summary, err = run(write_xlsx(tmp_path / "低保.xlsx", rows), COUNTY_A, "--user", user.username,
                              "--subcategory", "P0301")  # fmt: skip
    assert code == 2 and "数源部门" in err and not BatchIssue.objects.exists()


def test_a_township_collector_cannot_upload_a_county_wide_roster(tmp_path, held, collector_a):
    rows = [HEADER, person_row(HELD_A, "1")]
    code, _summary, err = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A, "--user", collector_a.username)
    assert code == 2 and "部门用户" in err and not Batch.objects.filter(region_id=COUNTY_A).exists()


def test_village_and_grid_names_route_with_or_without_the_names_above_them(tmp_path, held, sample_villages):
    header = ["所属村（社区）", *HEADER, "所属网格"]
    rows = [header, ["东山街道示例社区01", *person_row(UNKNOWN, "1"), ""],
            ["", *person_row(OTHER, "2"), "芝罘区向阳街道示例社区01第1网格"],
            ["示例社区01", *person_row(HELD_B, "2"), ""]]  # fmt: skip
    code, summary, _ = run(write_xlsx(tmp_path / "名单.xlsx", rows), COUNTY_A)
    assert code == 0 and summary["valid"] == 2, summary["issues"]
    places = dict(Record.objects.filter(subcategory__code="P0307").values_list("entity__key", "place_id"))
    assert places == {UNKNOWN[1]: "370602002901", OTHER[1]: "370602001901001"}
    [issue] = [i for i in summary["issues"] if i["rule"] == "region_unresolved"]
    assert issue["row"] == 4 and "同名区划" in issue["message"]  # 示例社区01 is in both townships
