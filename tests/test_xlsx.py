"""Spreadsheet writing (grassroots/xlsx.py): formula-like text stays text in both writers; sheet names are valid."""

import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from grassroots.xlsx import StreamedWorkbook, put_value, sheet_title, streamed_response

FORMULAS = ['=HYPERLINK("http://example.invalid","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def reopened(data: bytes):
    return load_workbook(io.BytesIO(data)).active


@pytest.mark.parametrize("text", FORMULAS)
def test_an_openpyxl_cell_keeps_formula_like_text_as_quoted_text(text):
    book = Workbook()
    put_value(book.active.cell(1, 1), text)
    out = io.BytesIO()
    book.save(out)
    cell = reopened(out.getvalue()).cell(1, 1)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_an_openpyxl_cell_keeps_numbers_as_numbers():
    cell = put_value(Workbook().active.cell(1, 1), 42)
    assert (cell.value, cell.data_type) == (42, "n")


def test_a_streamed_workbook_writes_each_value_by_its_type_and_formulas_as_text():
    out = io.BytesIO()
    book = StreamedWorkbook(out)
    sheet = book.add_sheet("表")
    book.write_values(sheet, 0, [*FORMULAS, 7, 2.5, True, datetime.date(2024, 5, 1), None, "文本"])
    book.close()
    cells = next(reopened(out.getvalue()).iter_rows(min_row=1, max_row=1))
    assert [c.value for c in cells[:4]] == FORMULAS
    assert all(c.data_type == "s" and c.quotePrefix for c in cells[:4])
    assert [c.value for c in cells[4:7]] == [7, 2.5, True]
    assert cells[7].value == datetime.datetime(2024, 5, 1) and cells[7].number_format == "yyyy-mm-dd"
    assert (cells[8].value, cells[9].value) == (None, "文本")


# Cells that need XlsxWriter's care: XML markup, control characters, escape-like text, edge whitespace, non-characters.
AWKWARD = ["<b>&amp;</b>", "a\x01b\x1f", "_x0041_", " lead", "trail\n", "\ufffe", "汉字", "-", "@x", "=A1"]


def row_xml(write_row) -> bytes:
    """The data of sheet 1 of a workbook whose rows `write_row(book, sheet, row, values, formats)` writes."""
    import re
    import zipfile

    out = io.BytesIO()
    book = StreamedWorkbook(out)
    sheet = book.add_sheet("表")
    text, date, plain = (
        book.cell_formats(num_format="@"),
        book.cell_formats(num_format="yyyy-mm-dd"),
        book.cell_formats(),
    )
    sheet.set_column(4, 4, 12, text.plain)  # a column format: cells without one of their own take it
    formats = (text, date, plain, plain, plain, text)
    for cell_format in (f for column in formats for f in (column.plain, column.quoted, column.date) if f):
        cell_format._get_xf_index()  # style numbers follow first use: number them first, the same way in both
    book.put(sheet, 0, 0, "表头", plain)
    rows = [[v, datetime.date(2024, 5, 1), 7, 2.5, True, None] for v in AWKWARD]
    rows += [[None, None, None, None, None, None], [None, None, -3, None, "x", ""], ["", None, 10**20, 0.1, False, "z"]]
    for row, values in enumerate(rows, start=1):
        write_row(book, sheet, row, values, formats)
    book.put(sheet, len(rows) + 1, 0, "表尾", plain)
    book.close()
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    return re.search(rb"<sheetData>.*</sheetData>", xml, re.S).group(), re.search(rb"<dimension[^>]*>", xml).group()


def test_a_row_written_at_once_is_what_xlsxwriter_writes_cell_by_cell():
    def by_cell(book, sheet, row, values, formats):
        for col, (value, cell_formats) in enumerate(zip(values, formats, strict=True)):
            book.put(sheet, row, col, value, cell_formats)

    at_once = row_xml(lambda book, sheet, row, values, formats: sheet.write_row_at(row, values, formats))
    assert at_once == row_xml(by_cell)
    assert b"_x005F_x0041_" in at_once[0] and b"&lt;b&gt;&amp;amp;" in at_once[0]


def test_a_row_cannot_be_written_above_or_into_a_row_already_written():
    book = StreamedWorkbook(io.BytesIO())
    sheet, plain = book.add_sheet("表"), book.cell_formats()
    sheet.write_row_at(3, ["a"], (plain,))
    with pytest.raises(ValueError, match="above"):
        sheet.write_row_at(2, ["b"], (plain,))
    book.put(sheet, 4, 0, "c", plain)
    with pytest.raises(ValueError, match="above"):
        sheet.write_row_at(4, ["d"], (plain,))
    book.close()


def test_a_streamed_download_is_sent_from_a_file_as_an_attachment():
    response = streamed_response("导出.xlsx", lambda book: book.write_values(book.add_sheet("a"), 0, ["x", 1]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    assert [c.value for c in reopened(b"".join(response.streaming_content))[1]] == ["x", 1]


@pytest.mark.parametrize(
    ("name", "title"),
    [("P0101户籍人口", "P0101户籍人口"), ("a/b:c[d]*e?f\\g", "a_b_c_d__e_f_g"), ("长" * 40, "长" * 31), ("", "数据")],
)
def test_a_sheet_title_has_no_forbidden_character_and_at_most_31_characters(name, title):
    assert sheet_title(name) == title


def test_grassroots_xlsx_is_the_one_writer_of_cells():
    """Every workbook the platform generates goes through put_value or StreamedWorkbook: no other module writes a
    cell value or a row directly, nor opens an XlsxWriter workbook of its own (issue 11 item 14)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    direct = re.compile(r"\.value\s*=(?!=)|\.append\(\[|import xlsxwriter|xlsxwriter\.Workbook|write_formula")
    offenders = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if parts[0] in {".venv", "tests", "benchmarks"} or (path.name == "xlsx.py" and parts[0] == "grassroots"):
            continue
        text = path.read_text(encoding="utf-8")
        if ("openpyxl" in text or "xlsxwriter" in text) and direct.search(text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_defusing_turns_an_uploaded_formula_into_its_text():
    from grassroots.xlsx import defuse_formulas

    book = Workbook()
    book.active["A1"] = "=SUM(1,2)"
    assert book.active["A1"].data_type == "f"
    assert defuse_formulas(book) == 1
    assert book.active["A1"].data_type == "s" and book.active["A1"].quotePrefix
