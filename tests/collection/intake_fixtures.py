"""Helpers of the file-side intake tests: sample paths and builders of small workbooks written in the test itself.
The real catalog's specs are the `specs` fixture of tests/conftest.py."""

import datetime
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
BAD = DATA / "bad"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


def write_xlsx(path: Path, rows: list[list], sheet: str = "Sheet1", merge: dict | None = None, **sheets) -> Path:
    """A small .xlsx: `rows` on `sheet`, other sheets from keyword arguments (name=rows); dates as date cells;
    `merge` maps a range such as "A1:H1" to the merged cell's text."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, content in {sheet: rows, **sheets}.items():
        page = book.add_worksheet(name)
        for r, row in enumerate(content):
            for c, value in enumerate(row):
                if isinstance(value, datetime.date):
                    page.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_format)
                elif isinstance(value, str):
                    page.write_string(r, c, value)  # text stays text, even '=1+1'
                elif value is not None:
                    page.write(r, c, value)
        for cells, text in (merge or {}).items() if name == sheet else ():
            page.merge_range(cells, text)
    book.close()
    return path


P0101_HEADER = ["姓名", "公民身份号码", "性别", "民族", "出生日期", "联系电话", "户籍地址", "现住址"]
P0101_ROW = ["王鸣", "140121195207116272", "男", "汉族", datetime.date(1952, 7, 11), "18098992167", "", "烟台市芝罘区"]
