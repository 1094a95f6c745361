"""Recognising the table: header row, two-row headers, header text normalisation, subcategory detection."""

import pytest

from collection.pipeline.recognise import normalise_header
from collection.pipeline.run import open_upload, recognise_tables
from collection.pipeline.types import MISSING_COLUMN, UNKNOWN_COLUMN, WARNING, RejectedFile
from tests.collection.intake_fixtures import DATA, EXPECTED, P0101_HEADER, P0101_ROW, write_xlsx

SINGLE = {c["file"]: c["expect"] for c in EXPECTED["files"] if not c["expect"].get("json_list")}


def recognise(path, specs, subcategory=None):
    return recognise_tables(open_upload(path, path.name), specs, subcategory)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        (" 姓 名 ", "姓名"),
        ("*性别", "性别"),
        ("现居住地址（必填）", "现居住地址"),
        ("身份证号(18位)", "身份证号"),
        ("建筑面积（平方米）", "建筑面积"),
        ("公民身份号码\n(必填)*", "公民身份号码"),
        ("ＩＤ\u3000号", "ID号"),
        ("（备注）", "(备注)"),
    ],
)
def test_it_normalises_header_text(text, normalised):
    assert normalise_header(text) == normalised


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_it_finds_each_sample_table_without_being_told_which(specs, name):
    [recognition] = recognise(DATA / name, specs)
    assert recognition.spec.code == SINGLE[name]["subcategory"]
    assert recognition.header_row == SINGLE[name].get("header_row", 1)
    assert recognition.data_start_row == recognition.header_row + 1


def test_it_skips_title_and_group_rows_and_warns_about_unknown_columns(specs):
    [recognition] = recognise(DATA / "sample_p0101_messy.xlsx", specs, "P0101")
    mapped = {c.header: c.item for c in recognition.columns}
    assert mapped[" 姓 名 "] == "name" and mapped["*性别"] == "sex"
    assert mapped["现居住地址（必填）"] == "current_address"
    assert mapped["手机号"] == "phone" and mapped["身份证号码"] == "id_number"
    [warning] = recognition.issues
    assert (warning.rule, warning.severity, warning.row, warning.column) == (UNKNOWN_COLUMN, WARNING, 3, "身高")
    assert warning.column_index == 14 and "身高" in warning.message


def test_it_combines_a_two_row_header_with_names_merged_down(specs, tmp_path):
    top = ["姓名", "公民身份号码", "基本情况", None, "居住信息", None]
    lower = [None, None, "性别", "出生日期", "现住址", "联系电话"]
    merge = {"A1:A2": "姓名", "B1:B2": "公民身份号码", "C1:D1": "基本情况", "E1:F1": "居住信息"}
    path = write_xlsx(tmp_path / "two.xlsx", [top, lower, P0101_ROW[:3] + P0101_ROW[4:5] + P0101_ROW[7:8]], merge=merge)
    [recognition] = recognise(path, specs, "P0101")
    assert recognition.header_row == 2 and recognition.data_start_row == 3
    assert [(c.index, c.item) for c in recognition.columns] == [
        (0, "name"), (1, "id_number"), (2, "sex"), (3, "birth_date"), (4, "current_address"), (5, "phone")
    ]  # fmt: skip
    assert [c.header for c in recognition.columns][:3] == ["姓名", "公民身份号码", "性别"]


def test_a_missing_required_column_rejects_the_file_naming_it(specs, tmp_path):
    header = [h for h in P0101_HEADER if h != "现住址"]
    path = write_xlsx(tmp_path / "m.xlsx", [header, P0101_ROW[:7]])
    with pytest.raises(RejectedFile, match="缺少必填列：现住址") as caught:
        recognise(path, specs, "P0101")
    assert caught.value.code == MISSING_COLUMN


def test_instruction_sheets_are_ignored_and_each_table_sheet_is_recognised(specs):
    recognitions = recognise(DATA / "sample_multi_sheet.xlsx", specs)
    assert [(r.sheet_name, r.spec.code) for r in recognitions] == [("户籍人口", "P0101"), ("流动人口", "P0102")]


def test_a_given_subcategory_selects_only_its_sheet(specs):
    [recognition] = recognise(DATA / "sample_multi_sheet.xlsx", specs, "P0102")
    assert recognition.sheet_name == "流动人口"


def test_a_header_of_another_table_is_rejected_naming_the_expected_one(specs):
    with pytest.raises(RejectedFile, match="房屋"):
        recognise(DATA / "sample_p0101_clean.xlsx", specs, "H0101")


def test_a_sheet_without_any_known_header_is_rejected(specs, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["说明"], ["请按要求填写"], ["甲", "乙", "丙"], ["1", "2", "3"]])
    with pytest.raises(RejectedFile, match="未找到表头"):
        recognise(path, specs)


def test_an_unknown_subcategory_is_rejected(specs):
    with pytest.raises(RejectedFile, match="未知的数据表"):
        recognise(DATA / "sample_p0101_clean.xlsx", specs, "X9999")


def test_a_sheet_named_after_a_table_decides_between_tables_sharing_columns(specs, tmp_path):
    rows = [["姓名", "公民身份号码", "性别", "现住址"], ["王鸣", "140121195207116272", "男", "烟台市"]]
    path = write_xlsx(tmp_path / "s.xlsx", rows, sheet="流动人口")
    [recognition] = recognise(path, specs)
    assert recognition.spec.code == "P0102"


def test_a_header_below_the_first_20_rows_is_not_searched(specs, tmp_path):
    path = write_xlsx(tmp_path / "deep.xlsx", [["备忘"]] * 20 + [P0101_HEADER, P0101_ROW])
    with pytest.raises(RejectedFile, match="未找到表头"):
        recognise(path, specs)


# -- automatic subcategory detection among the whole catalog -------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("姓名,公民身份号码,性别,出生日期,现住址", "P0101"),
        ("姓名,身份证号,性别,现住址", "P0101"),
        ("姓名,公民身份号码,性别,民族,出生日期,联系电话,现住址", "P0101"),
        ("姓名,公民身份号码,性别,出生日期,现住址,与户主关系", "P0101"),
        ("姓名,公民身份号码,性别,与户主关系,现住址", "P0101"),
        ("姓名,公民身份号码,性别,出生日期,联系电话,现住址,来本地日期,居住证号", "P0102"),
        ("姓名,身份证号,性别,现居住地址,来本地时间,工作单位", "P0102"),
        ("房屋编码,房屋地址,房屋用途,建筑结构,层数,建筑面积,产权人姓名", "H0101"),
        ("企业名称,统一社会信用代码,法定代表人,联系电话,经营地址,成立日期", "E0101"),
    ],
)
def test_a_small_csv_is_detected_as_the_general_table_its_columns_fit(specs, tmp_path, header, expected):
    path = tmp_path / "f.csv"
    path.write_text(header + "\n" + ",".join("x" for _ in header.split(",")) + "\n", encoding="utf-8")
    [recognition] = recognise(path, specs)
    assert recognition.spec.code == expected


def test_detection_prefers_a_table_whose_required_columns_are_all_present(specs, tmp_path):
    # 重点优抚对象 (P0211) also has 姓名/公民身份号码/性别/现住址 but requires 优抚对象类别: never chosen without it
    path = tmp_path / "f.csv"
    path.write_text("姓名,公民身份号码,性别,现住址\n王鸣,140121195207116272,男,烟台市\n", encoding="utf-8")
    [recognition] = recognise(path, specs)
    assert recognition.spec.code == "P0101" and not recognition.issues


def test_when_no_table_has_all_required_columns_the_best_one_names_what_is_missing(specs, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("房屋编码,房屋用途,建筑结构,层数,建筑面积\nH1,住宅,砖混,6,80\n", encoding="utf-8")
    with pytest.raises(RejectedFile, match="缺少必填列：房屋地址") as caught:
        recognise(path, specs)
    assert caught.value.code == MISSING_COLUMN and "房屋基本信息" in str(caught.value)


def test_a_column_matched_through_an_alias_counts_less_than_an_exact_name(specs):
    from collection.pipeline.recognise import match_header

    exact = match_header([["姓名", "公民身份号码", "性别", "现住址"]], specs["P0101"])
    alias = match_header([["姓名", "身份证号", "性别", "现住址"]], specs["P0101"])
    assert exact.matched == alias.matched == 4
    assert alias.weighted < exact.weighted
