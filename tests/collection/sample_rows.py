"""Turning the sample workbooks into raw chunks the way the reader does (a test helper for the value side).

The reader's conventions: text cells as written; integral numbers below 1e15 as integer text, other numbers as
repr(float); date cells as ISO text; booleans as 是/否; empty cells None; blank and 合计/总计/小计 rows dropped.
"""

import csv
import datetime
import io
import re
import unicodedata
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook

from catalog.spec import TableSpec

DATA = Path(__file__).resolve().parent.parent / "data"
_NOTE = re.compile(r"[(（][^()（）]*[)）]$")


def cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float | int):
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def sheet_rows(name: str) -> list[list]:
    path = DATA / name
    if path.suffix == ".csv":
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        return list(csv.reader(io.StringIO(text)))
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def header_key(text: str) -> str:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).replace("*", "")
    return _NOTE.sub("", text)


def raw_chunk(name: str, spec: TableSpec, header_row: int) -> tuple[pd.DataFrame, dict[str, str], dict[str, int]]:
    """(raw frame, item -> header text, item -> column index) of a sample file's first sheet."""
    rows = sheet_rows(name)
    names = {}
    for item in spec.items:
        for form in (item.name, *item.aliases):
            names.setdefault(header_key(form), item.key)
    headers, indexes = {}, {}
    for index, header in enumerate(rows[header_row - 1]):
        key = names.get(header_key(header))
        if key and key not in headers:
            headers[key], indexes[key] = str(header), index
    records = []
    for number, row in enumerate(rows[header_row:], start=header_row + 1):
        cells = [cell_text(v) for v in row]
        written = [c for c in cells if c is not None and c.strip()]
        if not written or re.match(r"\s*(合计|总计|小计)", written[0]):
            continue
        record = {key: cells[index] if index < len(cells) else None for key, index in indexes.items()}
        record["_row"] = number
        records.append(record)
    return pd.DataFrame(records, dtype=object), headers, indexes
