"""The annotated workbook and the invalid-rows workbook (collection/report.py), on real and generated files."""

import csv
import datetime
import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from collection.pipeline.types import ERROR, WARNING, Issue
from collection.report import (
    ERROR_FILL,
    ISSUES_SHEET,
    ORIGINAL_ROW,
    WARNING_FILL,
    annotate_workbook,
    invalid_rows_workbook,
    sniff_format,
)

DATA = Path(__file__).resolve().parents[1] / "data"
FORMULAS = ['=HYPERLINK("http://example.invalid","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "=1+1"]


def issue(row, col, rule="checksum", severity=ERROR, message="校验位错误，请核对", value="x", column="身份证号码"):
    return Issue(row=row, column=column, item="id_number", rule=rule, severity=severity, message=message,
                 value=value, column_index=col)  # fmt: skip


def reopen(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def is_red(cell) -> bool:
    return cell.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb


@pytest.fixture
def messy_xlsx(tmp_path):
    """A township workbook with a merged title, a two-row header, a date cell and a total row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "户籍人口"
    ws["A1"] = "东山街道户籍人口信息采集表"
    ws.merge_cells("A1:D1")
    ws["A2"], ws["C2"] = "基本信息", "联系方式"
    ws.merge_cells("A2:B2")
    ws.append(["姓名", "身份证号码", "手机号", "出生日期", "身高"])
    ws.append(["郭荷真", "340421196601287900", "13909030110", datetime.datetime(1966, 1, 28)])
    ws.append(["衣强旭", "210321196906245691", "191-5345-7164", "1990-13-45"])
    ws.append(["杨晓", "=1+1", "1764231006", datetime.datetime(1954, 10, 9)])
    ws.append(["合计：3人"])
    ws.merge_cells("A7:C7")
    path = tmp_path / "messy.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def messy_issues():
    return [
        issue(4, 1, value="340421196601287900"),
        issue(5, 3, rule="type", message="日期无法识别", value="1990-13-45", column="出生日期"),
        issue(6, 2, rule="pattern", message="手机号应为11位", value="1764231006", column="手机号"),
        issue(6, 2, rule="length", message="长度应为11位", value="1764231006", column="手机号"),
        issue(3, 4, rule="unknown_column", severity=WARNING, message="未识别的列", value="", column="身高"),
        issue(None, None, rule="missing_column", severity=WARNING, message="文件级提示", value="", column=None),
    ]


def test_it_fills_error_cells_red_and_explains_them_in_a_comment(messy_xlsx, messy_issues):
    ws = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3))["户籍人口"]
    assert is_red(ws["B4"]) and "校验位错误，请核对" in ws["B4"].comment.text
    assert is_red(ws["D5"]) and "日期无法识别" in ws["D5"].comment.text
    assert ws["A4"].comment is None and not is_red(ws["A4"])


def test_several_issues_in_one_cell_make_one_comment_with_all_messages(messy_xlsx, messy_issues):
    ws = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3))["户籍人口"]
    text = ws["C6"].comment.text
    assert "手机号应为11位" in text and "长度应为11位" in text


def test_warning_cells_are_yellow(messy_xlsx, messy_issues):
    ws = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3))["户籍人口"]
    assert ws["E3"].fill.fgColor.rgb == WARNING_FILL.fgColor.rgb


def test_it_keeps_the_townships_own_layout(messy_xlsx, messy_issues):
    ws = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3))["户籍人口"]
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:D1", "A2:B2", "A7:C7"}
    assert ws["A1"].value == "东山街道户籍人口信息采集表" and ws["A7"].value == "合计：3人"
    assert ws["D4"].value == datetime.datetime(1966, 1, 28)


def test_the_issues_sheet_lists_every_issue_sorted_by_row(messy_xlsx, messy_issues):
    sheet = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3))[ISSUES_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "数据项", "规则", "级别", "说明", "原值", "网页修正后的值")
    assert [r[0] for r in rows[1:]] == [None, 3, 4, 5, 6, 6]
    assert rows[3][1] == "身份证号码（B列）" and rows[3][3] == "校验位错误" and rows[3][4] == "错误"


def test_item_names_replace_element_keys_in_the_issues_sheet(messy_xlsx, messy_issues):
    data = annotate_workbook(messy_xlsx, "xlsx", None, messy_issues, 3, item_names={"id_number": "公民身份号码"})
    assert reopen(data)[ISSUES_SHEET]["C4"].value == "公民身份号码"


def test_formula_like_text_stays_text_in_the_annotated_workbook(messy_xlsx, messy_issues):
    wb = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3))
    # The township wrote =1+1 as a real formula in B6: it comes back as its text, never live (issue 11 item 14).
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_a_live_hyperlink_formula_of_a_small_upload_comes_back_as_text(tmp_path):
    from openpyxl import Workbook

    source = tmp_path / "small.xlsx"
    book = Workbook()
    book.active.append(["姓名", "备注"])
    book.active.append(["张三", '=HYPERLINK("http://evil.example/steal","点我")'])
    book.active["C2"] = "=1+2"
    book.save(source)
    assert source.stat().st_size < 1_000_000  # the layout-keeping path
    ws = reopen(annotate_workbook(source, "xlsx", None, [issue(2, 0)], 1)).worksheets[0]
    assert ws["B2"].data_type == "s" and ws["B2"].value.startswith("=HYPERLINK(") and ws["B2"].quotePrefix
    assert ws["C2"].data_type == "s" and ws["C2"].value == "=1+2"


def test_formula_text_in_values_and_messages_is_written_as_text(messy_xlsx):
    issues = [issue(4, 1, value=v, message=v) for v in FORMULAS]
    for data in (
        annotate_workbook(messy_xlsx, "xlsx", None, issues, 3),
        invalid_rows_workbook(messy_xlsx, "xlsx", None, issues, 3),
    ):
        cells = [c for row in reopen(data)[ISSUES_SHEET].iter_rows(min_row=2) for c in row]
        assert all(c.data_type != "f" for c in cells)
        assert {c.value for c in cells if c.column in (6, 7)} == set(FORMULAS)


def test_the_formula_text_sample_keeps_its_remarks_verbatim(tmp_path):
    source = DATA / "sample_formula_text.xlsx"
    if not source.exists():
        pytest.skip("tests/data not copied yet")
    issues = [issue(r, 13, rule="pattern", message="示例", column="备注") for r in range(2, 10)]
    annotated = reopen(annotate_workbook(source, "xlsx", None, issues, 1)).worksheets[0]
    only_invalid = reopen(invalid_rows_workbook(source, "xlsx", None, issues, 1)).worksheets[0]
    for remarks in ([annotated.cell(r, 14) for r in range(2, 10)], [only_invalid.cell(r, 15) for r in range(2, 10)]):
        assert all(c.data_type == "s" for c in remarks)
        assert {c.value for c in remarks} == set(FORMULAS) | {"=cmd|' /C notepad'!A0"}


def test_a_reuploaded_annotated_workbook_loses_its_stale_marks(messy_xlsx, messy_issues, tmp_path):
    again = tmp_path / "again.xlsx"
    again.write_bytes(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3))
    wb = reopen(annotate_workbook(again, "xlsx", "户籍人口", [issue(5, 1)], 3))
    ws = wb["户籍人口"]
    assert ws["B4"].comment is None and not is_red(ws["B4"])
    assert is_red(ws["B5"]) and wb.sheetnames.count(ISSUES_SHEET) == 1


def test_an_issue_inside_a_merged_range_marks_its_top_left_cell(messy_xlsx):
    ws = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", [issue(7, 1, rule="required")], 3))["户籍人口"]
    assert is_red(ws["A7"]) and ws["A7"].comment is not None


def test_invalid_rows_workbook_holds_the_header_and_only_rows_with_errors(messy_xlsx, messy_issues):
    ws = reopen(invalid_rows_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == (ORIGINAL_ROW, "姓名", "身份证号码", "手机号", "出生日期", "身高")
    assert [r[0] for r in rows[1:]] == [4, 5, 6]
    assert rows[1][1:3] == ("郭荷真", "340421196601287900")


def test_invalid_rows_workbook_annotates_the_shifted_cells(messy_xlsx, messy_issues):
    ws = reopen(invalid_rows_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3)).worksheets[0]
    assert is_red(ws["C2"]) and "校验位错误" in ws["C2"].comment.text  # original B4
    assert is_red(ws["D4"]) and "长度应为11位" in ws["D4"].comment.text  # original C6
    assert ws["C4"].data_type != "f"  # the original's formula: its value at most, never a formula


def test_invalid_rows_workbook_ignores_warning_only_rows(messy_xlsx):
    issues = [issue(4, 1, severity=WARNING), issue(5, 1)]
    ws = reopen(invalid_rows_workbook(messy_xlsx, "xlsx", None, issues, 3)).worksheets[0]
    assert [c.value for c in ws["A"]] == [ORIGINAL_ROW, 5]


def test_a_csv_becomes_an_xlsx_with_the_same_text_at_the_same_line_numbers(tmp_path):
    path = tmp_path / "p.csv"
    lines = ["姓名,身份证号,备注", "张三,370602198312045773,=1+1", "李四,1.10102E+17,", "王五,0012,"]
    path.write_bytes("\n".join(lines).encode("gbk"))
    wb = reopen(annotate_workbook(path, "csv", None, [issue(3, 1, rule="precision_lost")], 1))
    ws = wb.worksheets[0]
    assert ws["B2"].value == "370602198312045773" and ws["B3"].value == "1.10102E+17" and ws["B4"].value == "0012"
    assert ws["C2"].value == "=1+1" and ws["C2"].data_type == "s"
    assert is_red(ws["B3"]) and ws["B3"].comment is not None


def test_a_utf8_csv_with_bom_keeps_its_header_text(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("姓名,身份证号\n张三,1\n".encode("utf-8-sig"))
    ws = reopen(invalid_rows_workbook(path, "csv", None, [issue(2, 1)], 1)).worksheets[0]
    assert [c.value for c in ws[1]] == [ORIGINAL_ROW, "姓名", "身份证号"]


def test_the_legacy_xls_sample_becomes_an_annotated_xlsx():
    source = DATA / "sample_p0101_legacy.xls"
    if not source.exists():
        pytest.skip("tests/data not copied yet")
    data = annotate_workbook(source, "xls", "户籍人口", [issue(30, 1, value="340121194102087341")], 2)
    ws = reopen(data)["户籍人口"]
    assert ws["B30"].value == "340121194102087341" and is_red(ws["B30"])
    assert ws["A2"].value == "姓名"


def test_sniff_format_reads_the_first_bytes(tmp_path, messy_xlsx):
    assert sniff_format(messy_xlsx) == "xlsx"
    (tmp_path / "a.csv").write_text("a,b")
    assert sniff_format(tmp_path / "a.csv") == "csv"
    if (DATA / "sample_p0101_legacy.xls").exists():
        shutil.copy(DATA / "sample_p0101_legacy.xls", tmp_path / "x.bin")
        assert sniff_format(tmp_path / "x.bin") == "xls"


def test_a_large_xlsx_is_streamed_with_the_same_values_at_the_same_rows(messy_xlsx, messy_issues):
    ws = reopen(annotate_workbook(messy_xlsx, "xlsx", "户籍人口", messy_issues, 3, keep_layout=False))["户籍人口"]
    assert ws["A1"].value == "东山街道户籍人口信息采集表" and ws["A7"].value == "合计：3人"
    assert ws["B4"].value == "340421196601287900" and ws["D4"].value == datetime.datetime(1966, 1, 28)
    assert is_red(ws["B4"]) and "校验位错误，请核对" in ws["B4"].comment.text
    assert ws["E3"].fill.fgColor.rgb.endswith("FFEB84")


def test_formula_text_stays_text_when_streamed(tmp_path):
    path = tmp_path / "f.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["备注"], *[[f] for f in FORMULAS]])
    ws = reopen(annotate_workbook(path, "csv", None, [issue(2, 0, value=FORMULAS[0])], 1)).worksheets[0]
    cells = [ws.cell(r, 1) for r in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in cells] == FORMULAS and all(c.data_type == "s" for c in cells)


def test_an_empty_header_cell_takes_the_text_above_it(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "联系方式", None])
    ws.append([None, "手机号", "座机"])
    ws.merge_cells("A1:A2")
    ws.append(["张三", "1764231006", "0535"])
    wb.save(tmp_path / "h.xlsx")
    out = reopen(invalid_rows_workbook(tmp_path / "h.xlsx", "xlsx", None, [issue(3, 1)], 2)).worksheets[0]
    assert [c.value for c in out[1]] == [ORIGINAL_ROW, "姓名", "手机号", "座机"]
