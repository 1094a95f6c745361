"""Reading workbooks and CSV as cell text: types converted deliberately, row numbers as Excel shows them."""

import datetime

import pandas as pd
import pytest

from collection.pipeline import opening, read
from collection.pipeline.types import RejectedFile
from tests.collection.intake_fixtures import DATA, write_xlsx

MESSY_COLUMNS = {0: "name", 1: "id_number", 2: "sex", 4: "birth_date", 5: "phone", 13: "remarks"}


def sheet_of(path, name=None):
    book = opening.open_workbook(path)
    return opening.load_sheet(book, name or book.sheet_names[0])


def messy_frame(chunk_size=50_000):
    chunks = list(read.sheet_chunks(sheet_of(DATA / "sample_p0101_messy.xlsx"), MESSY_COLUMNS, 4, chunk_size))
    return pd.concat(chunks, ignore_index=True), chunks


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("  王 五 ", "  王 五 "),
        ("", None),
        (3.0, "3"),
        (33000.0, "33000"),
        (-5.0, "-5"),
        (12.5, "12.5"),
        (2.22401195703155e17, "2.22401195703155e+17"),
        (1e15, "1000000000000000.0"),
        (True, "是"),
        (False, "否"),
        (7, "7"),
        (datetime.datetime(1990, 1, 2), "1990-01-02"),
        (datetime.datetime(1990, 1, 2, 8, 30, 5), "1990-01-02 08:30:05"),
        (datetime.date(1990, 1, 2), "1990-01-02"),
        (datetime.time(8, 30), "08:30:00"),
    ],
)
def test_it_turns_each_cell_type_into_contract_text(value, text):
    assert read.cell_text(value) == text


def test_it_numbers_rows_as_excel_shows_them_and_skips_blank_and_total_rows():
    frame, _ = messy_frame()
    rows = frame["_row"].tolist()
    assert rows[0] == 4 and rows[-1] == 126 and len(rows) == 120
    assert not {41, 57, 120, 127} & set(rows)


def test_it_gives_object_columns_of_str_or_none():
    frame, _ = messy_frame()
    assert all(frame[key].dtype == object for key in MESSY_COLUMNS.values())
    assert frame["_row"].dtype == "int64"
    values = frame[list(MESSY_COLUMNS.values())].to_numpy().ravel()
    assert {type(v) for v in values} == {str, type(None)}


def test_it_keeps_an_id_typed_as_a_number_visibly_numeric():
    frame, _ = messy_frame()
    assert frame.set_index("_row").at[12, "id_number"] == "2.22401195703155e+17"


def test_it_writes_date_cells_as_iso_and_keeps_text_exactly():
    frame = messy_frame()[0].set_index("_row")
    assert frame.at[4, "birth_date"] == "1966-01-28"
    assert frame.at[8, "birth_date"] == "1964.08.09"
    assert frame.at[55, "birth_date"] == "22712"  # a serial number typed into a general cell
    assert frame.at[97, "id_number"] == "  370685201909307639 "
    assert frame.at[5, "phone"] == "191-5345-7164"


def test_chunks_hold_the_same_rows_as_one_read():
    whole, _ = messy_frame()
    joined, chunks = messy_frame(chunk_size=7)
    assert len(chunks) == 18 and max(len(c) for c in chunks) == 7
    pd.testing.assert_frame_equal(whole, joined)


def test_it_reads_formula_like_text_verbatim():
    sheet = sheet_of(DATA / "sample_formula_text.xlsx")
    frame = next(read.sheet_chunks(sheet, {1: "id_number", 13: "remarks"}, 2, 100))
    assert frame["remarks"].tolist()[:4] == ['=HYPERLINK("http://example.invalid","x")', "+cmd|' /C calc'!A0",
                                             "@SUM(1+1)", "-2+3"]  # fmt: skip


def test_it_reads_legacy_xls_with_its_title_row():
    sheet = sheet_of(DATA / "sample_p0101_legacy.xls")
    head = read.sheet_head(sheet)
    assert head[0][0].startswith("毓璜顶街道") and head[1][0] == "姓名"
    frame = next(read.sheet_chunks(sheet, {0: "name", 4: "birth_date"}, 3, 100))
    assert frame["_row"].iloc[0] == 3 and len(frame) == 50
    assert frame["birth_date"].tolist()[:2] == ["1954年6月16日", "1951-05-19"]


def test_a_table_away_from_a1_keeps_sheet_column_indexes_and_row_numbers(tmp_path):
    rows = [[], [], [None, None, "姓名", "公民身份号码"], [None, None, "王五", "110101199003074593"]]
    sheet = sheet_of(write_xlsx(tmp_path / "offset.xlsx", rows))
    assert read.sheet_head(sheet)[2][2:4] == ["姓名", "公民身份号码"]
    frame = next(read.sheet_chunks(sheet, {2: "name", 3: "id_number"}, 4, 10))
    assert frame.to_dict("records") == [{"name": "王五", "id_number": "110101199003074593", "_row": 4}]


def test_a_whitespace_only_row_is_blank_and_a_total_after_spaces_is_a_total(tmp_path):
    rows = [["姓名", "备注"], ["甲", ""], ["  ", "\u3000"], [" ", "总计 3 人"], ["小计", ""], ["乙", "合计"]]
    sheet = sheet_of(write_xlsx(tmp_path / "t.xlsx", rows))
    frame = next(read.sheet_chunks(sheet, {0: "name", 1: "remarks"}, 2, 10))
    assert frame["_row"].tolist() == [2, 6]


def test_it_detects_gbk_and_utf8_bom_csv():
    assert read.detect_csv_encoding(DATA / "sample_p0101_gbk.csv") == "gb18030"
    assert read.detect_csv_encoding(DATA / "sample_p0101_utf8bom.csv") == "utf-8-sig"
    assert read.csv_head(DATA / "sample_p0101_utf8bom.csv", "utf-8-sig")[0][0] == "姓名"


def test_csv_cells_stay_text_and_rows_are_line_numbers(tmp_path):
    path = tmp_path / "t.csv"
    lines = ["某街道登记表", "姓名,公民身份号码,备注", "王五,012345678901234567,=1+1", "", "李四,1.10102E+17,",
             "合计,2,"]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="gb18030")
    encoding = read.detect_csv_encoding(path)
    frame = pd.concat(read.csv_chunks(path, encoding, {0: "name", 1: "id_number", 2: "remarks"}, 3, 1))
    assert frame.to_dict("records") == [
        {"name": "王五", "id_number": "012345678901234567", "remarks": "=1+1", "_row": 3},
        {"name": "李四", "id_number": "1.10102E+17", "remarks": None, "_row": 5},
    ]


def test_a_csv_in_neither_utf8_nor_gb18030_is_rejected(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("姓名\n".encode() + b"\x81\x30\xff\xff\n")
    with pytest.raises(RejectedFile, match="编码"):
        read.detect_csv_encoding(path)


def test_a_cell_merged_down_over_data_rows_is_read_on_every_row_it_covers(tmp_path):
    rows = [["姓名", "户籍地址"], ["甲", "芝罘区幸福路1号"], ["乙", None], ["丙", None], ["丁", "芝罘区2号"]]
    sheet = sheet_of(write_xlsx(tmp_path / "m.xlsx", rows, merge={"B2:B4": "芝罘区幸福路1号"}))
    frame = next(read.sheet_chunks(sheet, {0: "name", 1: "household_address"}, 2, 10))
    assert frame["household_address"].tolist() == ["芝罘区幸福路1号"] * 3 + ["芝罘区2号"]


def test_merged_title_group_and_total_rows_do_not_spill_into_data():
    frame, _ = messy_frame()
    assert frame.set_index("_row").at[126, "name"] == "杨林涛" and 127 not in set(frame["_row"])


def test_a_tab_separated_file_named_csv_is_read_by_its_tabs(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("姓名\t公民身份号码\n王五\t110101199003074593\n", encoding="utf-8")
    assert read.csv_head(path, "utf-8-sig")[0] == ["姓名", "公民身份号码"]
    [frame] = list(read.csv_chunks(path, "utf-8-sig", {0: "name", 1: "id_number"}, 2, 10))
    assert frame.to_dict("records") == [{"name": "王五", "id_number": "110101199003074593", "_row": 2}]


def test_a_csv_is_read_by_its_mapped_columns_and_column_a(tmp_path):
    """A total line labelled in column A (beside a 序号 column) is still skipped; a line written only in columns
    that are not read counts as blank."""
    path = tmp_path / "t.csv"
    path.write_text("序号,姓名,备注,其他\n1,王五,,\n合计,,,\n,,,只写在未读的列\n2,李四,,\n", encoding="utf-8")
    frame = pd.concat(read.csv_chunks(path, "utf-8-sig", {1: "name", 2: "remarks"}, 2, 100))
    assert frame["name"].tolist() == ["王五", "李四"] and frame["_row"].tolist() == [2, 5]
