"""A house code of another township is a warning naming it (house_elsewhere, issue 15 item 14): when it starts with
another township's (or county's) known division code, or when another township holds its house in the base database
in another subcategory (in the same subcategory the 跨乡镇冲突 warning says it, once). An unknown prefix names nothing;
the rows stay valid and merge."""

import io

import openpyxl
import pytest
from django.urls import reverse

from basedb.models import Record
from collection import fixes, intake
from collection.models import Batch
from collection.report import batch_report
from regions.choices import Role
from regions.placement import Placer
from tests.collection.batch_fixtures import media, write_xlsx  # noqa: F401 (fixtures)
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A, make_user

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")
HEADERS = ["房屋编码", "房屋地址", "建筑面积"]
OTHER = "370602003001GB00001F00010001"  # 毓璜顶街道's 28-character 不动产单元代码
OWN = "370602002003GB00012F00020003"  # 东山街道's own
UNKNOWN = "370699001001GB00001F00010001"  # 3706 99: no such county, so no township either
LOCAL = "DS-FW-0088"  # a local code naming no division
OTHER_LOCAL = "370602003-0088"  # a local code starting with 毓璜顶街道's 9-digit code


def house_rows(codes: list[str]) -> list[list]:
    return [[code, f"东山路{n}号", "80"] for n, code in enumerate(codes, start=1)]


def verified(tmp_path, codes, *, region=TOWNSHIP_A, subcategory="H0101", user=None, name="houses.xlsx") -> Batch:
    path = write_xlsx(tmp_path / name, house_rows(codes), HEADERS, sheet="房屋")
    (batch,) = intake.create_batches(
        path, original_name=path.name, region_code=region, subcategory=subcategory, user=user
    )
    return intake.verify_batch(batch)


def warnings(batch) -> dict[int, str]:
    return dict(batch.issues.filter(rule="house_elsewhere").values_list("row", "message"))


def test_only_house_codes_of_another_townships_known_prefix_are_warned_and_the_rows_merge(
    client, collector_a, officer_a, tmp_path
):
    path = write_xlsx(tmp_path / "h.xlsx", house_rows([OTHER, OWN, UNKNOWN, LOCAL, OTHER_LOCAL]), HEADERS, "房屋")
    client.force_login(collector_a)
    with open(path, "rb") as fh:
        client.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A, "subcategory": "H0101"})
    batch = Batch.objects.get()
    found = warnings(batch)
    assert sorted(found) == [2, 6]
    assert found[2] == (
        f"房屋编码“{OTHER}”属于毓璜顶街道（370602003）：编码以该乡镇（街道）的区划代码开头。此房屋不在本乡镇（街道），"
        "请核对房屋编码；若房屋确在毓璜顶街道，请由毓璜顶街道上报"
    )
    assert f"房屋编码“{OTHER_LOCAL}”属于毓璜顶街道（370602003）" in found[6]
    issue = batch.issues.get(row=2)
    assert (issue.severity, issue.column, issue.value) == ("warning", "房屋编码", OTHER)
    assert (batch.valid, batch.invalid, batch.status) == (5, 0, "pending_review")
    intake.merge_valid_rows(batch, acting_user=officer_a)
    merged = Record.objects.filter(subcategory__code="H0101", region_id=TOWNSHIP_A)
    assert sorted(merged.values_list("entity__key", flat=True)) == sorted([OTHER, OWN, UNKNOWN, LOCAL, OTHER_LOCAL])


def test_a_code_of_another_county_names_the_county_and_one_of_the_own_county_names_nothing(tmp_path):
    fushan, own_county = "370611999001GB00001F00010001", "370602999001GB00001F00010001"
    batch = verified(tmp_path, [fushan, own_county])
    assert list(warnings(batch)) == [2]
    assert "属于福山区（370611）：编码以该县（市、区）的区划代码开头" in warnings(batch)[2]
    assert "请由福山区的乡镇（街道）上报" in warnings(batch)[2]


def test_the_leading_division_code_is_read_township_first_and_never_guessed(regions):
    found = Placer().leading_divisions([OTHER, "370611999", UNKNOWN, LOCAL, "3706", "37060200"])
    assert list(found) == [("370602003", "毓璜顶街道"), ("370611", "福山区"), None, None, None, ("370602", "芝罘区")]


def test_a_house_another_township_holds_in_another_subcategory_is_a_warning_naming_it(tmp_path, officer_a):
    held = "DS-FW-0100"  # a local code: only the base database says whose it is
    intake.merge_valid_rows(verified(tmp_path, [held], region=TOWNSHIP_B, name="b.xlsx"), acting_user=officer_a)
    batch = verified(tmp_path, [held, LOCAL], subcategory="H0102")
    assert warnings(batch) == {
        2: f"基础库中向阳街道（{TOWNSHIP_B}）已登记房屋编码“{held}”的房屋。此房屋不在本乡镇（街道），"
        "请核对房屋编码；若房屋确在向阳街道，请由向阳街道上报"
    }
    assert batch.valid == 2


def test_a_house_held_in_the_same_subcategory_is_warned_once_as_a_conflict(tmp_path, officer_a):
    held = "370602001001GB00001F00010001"  # 向阳街道's code, and 向阳街道 holds it in H0101
    intake.merge_valid_rows(verified(tmp_path, [held], region=TOWNSHIP_B, name="b.xlsx"), acting_user=officer_a)
    batch = verified(tmp_path, [held])
    assert list(batch.issues.values_list("row", "rule")) == [(2, "conflict")]
    assert "向阳街道" in batch.issues.get().message


def test_both_reasons_make_one_warning(tmp_path, officer_a):
    intake.merge_valid_rows(verified(tmp_path, [OTHER], region=TOWNSHIP_B, name="b.xlsx"), acting_user=officer_a)
    (message,) = warnings(verified(tmp_path, [OTHER], subcategory="H0102")).values()
    said = f"属于毓璜顶街道（370602003）：编码以该乡镇（街道）的区划代码开头，基础库中向阳街道（{TOWNSHIP_B}）也已登记"
    assert said in message


def test_a_village_upload_is_warned_as_its_township_is(tmp_path, sample_villages):
    village_collector = make_user("village_collector", Role.COLLECTOR, VILLAGE_A)
    batch = verified(tmp_path, [OTHER, OWN], region=VILLAGE_A, user=village_collector)
    assert (batch.owner_id, list(warnings(batch)), batch.valid) == (VILLAGE_A, [2], 2)


def test_fixing_the_house_code_drops_the_warning(tmp_path, collector_a):
    batch = verified(tmp_path, [OTHER])
    fixes.fix_cell(batch.staged_rows.get(), "house_code", OWN, acting_user=collector_a)
    assert warnings(batch) == {}
    fixes.fix_cell(batch.staged_rows.get(), "house_code", OTHER_LOCAL, acting_user=collector_a)
    assert list(warnings(batch)) == [2]


def test_the_annotated_workbook_and_the_issue_list_show_the_rule(client, collector_a, tmp_path):
    batch = verified(tmp_path, [OWN, OTHER])
    sheet = openpyxl.load_workbook(io.BytesIO(batch_report(batch)))["房屋"]
    assert "【警告·房屋属其他乡镇】房屋编码“" in sheet["A3"].comment.text and sheet["A2"].comment is None
    client.force_login(collector_a)
    page = client.get(reverse("collection:batch_detail", args=[batch.pk])).content.decode()
    assert '<option value="house_elsewhere">房屋属其他乡镇（1）</option>' in page
    assert 'data-rule="house_elsewhere">房屋属其他乡镇</span> 房屋编码“' in page and "属于毓璜顶街道（" in page


def test_a_dry_run_reports_the_warning(tmp_path):
    path = write_xlsx(tmp_path / "dry.xlsx", house_rows([OWN, OTHER]), HEADERS, sheet="房屋")
    (summary,) = intake.dry_run(path, original_name=path.name, region_code=TOWNSHIP_A, subcategory="H0101")
    assert [(i["row"], i["rule"]) for i in summary["issues"]] == [(3, "house_elsewhere")]
