"""Reading workbooks and CSV files as cell text, in chunks of data rows.

Every cell becomes text deliberately, with its type in mind: text cells exactly as written; numbers as integer
text when integral and below 1e15, else the float's repr (so an ID that went through a number cell is visibly
"2.22401195703155e+17" and verification can report the lost digits); dates as ISO text; booleans as 是/否.
Nothing guesses a column's type from its first rows.

Workbooks (.xlsx/.xlsm/.xls) are read with python-calamine: the sheet is parsed once in Rust, then rows are
pulled as Python objects one chunk at a time, so no per-cell Python object lives for the whole file. (fastexcel
is faster, but its string mode turns number cells into digit text and dates into datetime text, losing exactly
the cell type that precision_lost and date checks need; measured in docs/performance.md.)
CSV is read with pandas (dtype=str, keep_default_na=False) in chunks, after the encoding is found.
"""

import codecs
import csv
import datetime
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineSheet

from .types import RejectedFile

HEADER_SCAN_ROWS = 20
TOTAL_PREFIXES = ("合计", "总计", "小计")
ROW = "_row"
_WS = " \t\r\n\u3000\xa0"
_MAYBE_SKIP = frozenset("合总小 \t\r\n\u3000\xa0")  # first characters of a first cell that need a closer look


# ----------------------------------------------------------------------------- cell text


def cell_text(value) -> str | None:
    """The text of one calamine cell value, per the raw-frame contract; None for an empty cell."""
    cls = value.__class__
    if cls is str:
        return value or None
    if cls is float:
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if cls is bool:
        return "是" if value else "否"
    if cls is int:
        return str(value)
    if cls is datetime.datetime:
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if cls is datetime.date:
        return value.isoformat()
    if cls is datetime.time:
        return value.strftime("%H:%M:%S")
    if value is None:
        return None
    return str(value)


def column_text(values) -> list:
    """cell_text over a column of calamine values; text and date cells (the vast majority) take a fast path."""
    date = datetime.date
    return [
        (v or None) if (cls := v.__class__) is str else v.isoformat() if cls is date else cell_text(v) for v in values
    ]


def is_blank_text(text) -> bool:
    return text is None or (text.__class__ is str and text.strip(_WS) == "")


def skip_reason(row) -> str | None:
    """'blank' for a row with nothing written, 'total' for a 合计/总计/小计 row, else None."""
    for value in row:
        text = value if value.__class__ is str else cell_text(value)
        if is_blank_text(text):
            continue
        return "total" if text.strip(_WS).startswith(TOTAL_PREFIXES) else None
    return "blank"


# ----------------------------------------------------------------------------- workbooks


def sheet_origin(sheet: CalamineSheet) -> tuple[int, int]:
    """0-based (row, column) where calamine's iter_rows starts: python-calamine 0.9 yields rows from row 1 (padding
    empty rows above the used range) but cells only from the used range's first column."""
    start = sheet.start
    return (0, start[1]) if start else (0, 0)


def sheet_head(sheet: CalamineSheet, rows: int = HEADER_SCAN_ROWS) -> list[list[str | None]]:
    """The first `rows` rows from A1 as cell text (leading empty rows and columns included)."""
    top, left = sheet_origin(sheet)
    head: list[list[str | None]] = [[] for _ in range(min(top, rows))]
    for row in sheet.iter_rows():
        if len(head) >= rows:
            break
        head.append([None] * left + column_text(row))
    return head


def sheet_chunks(
    sheet: CalamineSheet,
    columns: dict[int, str],
    data_start_row: int,
    chunk_size: int,
    build=None,
    first_chunk: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Raw frames of the data rows from `data_start_row` (Excel row number); columns: 0-based sheet index -> key.

    Rows are collected as calamine gives them (equal-width lists) and turned into columns once per chunk, in C
    (numpy), so the per-row Python work is one check of the first cell. `build(rows, numbers, positions, keys)`
    turns each chunk of rows into what is yielded (default: raw_frame; the forked reader packs them for its pipe).
    `first_chunk`: a smaller first chunk, so that a process waiting for it can start sooner.
    """
    build = build or raw_frame
    limit = first_chunk or chunk_size
    top, left = sheet_origin(sheet)
    positions = [index - left for index in columns]
    keys = list(columns.values())
    rows, numbers = [], []
    excel_row = top + max(data_start_row - 1 - top, 0)
    maybe_skip = _MAYBE_SKIP
    merges = MergedCells(sheet, data_start_row, left)
    has_merges = bool(merges)
    for row in itertools.islice(sheet.iter_rows(), max(data_start_row - 1 - top, 0), None):
        excel_row += 1
        if has_merges:
            merges.fill(row, excel_row)
        first = row[0]
        if first.__class__ is str and (first == "" or first[0] in maybe_skip) and skip_reason(row):
            continue
        rows.append(row)
        numbers.append(excel_row)
        if len(rows) >= limit:
            yield build(rows, numbers, positions, keys)
            rows, numbers, limit = [], [], chunk_size
    if rows:
        yield build(rows, numbers, positions, keys)


class MergedCells:
    """Cells merged down over data rows (a household's address written once for its members): every row the
    merge covers reads the merged cell's value, as a person sees it in Excel."""

    def __init__(self, sheet: CalamineSheet, data_start_row: int, left: int):
        self.tops: dict[int, list[int]] = {}  # Excel row of a merge's top cell -> positions
        self.below: dict[int, list[tuple[int, int]]] = {}  # Excel row -> [(position, top Excel row)]
        self.values: dict[tuple[int, int], object] = {}
        for (r1, c1), (r2, _c2) in _merged_ranges(sheet):
            if r2 > r1 and r1 + 1 >= data_start_row:
                self.tops.setdefault(r1 + 1, []).append(c1 - left)
                for excel_row in range(r1 + 2, r2 + 2):
                    self.below.setdefault(excel_row, []).append((c1 - left, r1 + 1))

    def __bool__(self) -> bool:
        return bool(self.tops)

    def fill(self, row: list, excel_row: int) -> None:
        for position in self.tops.get(excel_row, ()):
            if 0 <= position < len(row):
                self.values[excel_row, position] = row[position]
        for position, top in self.below.get(excel_row, ()):
            if 0 <= position < len(row) and row[position] == "":
                row[position] = self.values.get((top, position), "")


def _merged_ranges(sheet: CalamineSheet) -> list:
    return sheet.merged_cell_ranges or []  # 0-based ((first row, first column), (last row, last column))


def raw_frame(rows: list[list], numbers: list[int], positions: list[int], keys: list[str]) -> pd.DataFrame:
    """The raw-frame contract: one object column of str/None per item key, plus int '_row'. (The forked reader may
    deliver a column of few distinct values as a pandas categorical of the same cells, missing = empty; verification
    accepts both: parallel.pack_rows.)

    `positions` index into the rows; a position outside them (a mapped column beyond the used range) is empty.
    """
    cells = np.array(rows, dtype=object)
    if cells.ndim != 2:  # ragged rows (never seen from calamine, but cheap to guard)
        width = max(map(len, rows))
        cells = np.array([list(row) + [""] * (width - len(row)) for row in rows], dtype=object)
    data = {}
    for key, position in zip(keys, positions, strict=True):
        if 0 <= position < cells.shape[1]:
            data[key] = object_array(column_text(cells[:, position].tolist()))
        else:
            data[key] = np.full(len(rows), None, dtype=object)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(numbers)), dtype=object, copy=False)
    frame[ROW] = np.asarray(numbers, dtype=np.int64)
    return frame


def object_array(values: list) -> np.ndarray:
    """A 1-D object array of `values` (np.array would try to build a 2-D array from equal-length strings)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


# ----------------------------------------------------------------------------- CSV

_CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def detect_csv_encoding(path: Path) -> str:
    """utf-8 (with or without BOM) when the whole file decodes strictly, else gb18030 (a superset of GBK)."""
    for encoding in _CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise RejectedFile("无法识别 CSV 文件的编码：请用 Excel 另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重新上传。")


def csv_delimiter(path: Path, encoding: str) -> str:
    """',' unless the first lines clearly use tabs or semicolons instead (exports of other systems named .csv)."""
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(64 * 1024)
    counts = {sep: sample.count(sep) for sep in (",", "\t", ";")}
    return "," if counts[","] else max(counts, key=counts.get) if any(counts.values()) else ","


def _csv_reader(path: Path, encoding: str, chunk_size: int, width: int, used: list[int] | None):
    return pd.read_csv(
        path,
        encoding=encoding,
        sep=csv_delimiter(path, encoding),
        header=None,
        names=range(width),  # a title line has fewer fields than the header: fix the width up front
        usecols=used,  # the parser skips the other fields without building a column of them
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,  # keep line numbers: record i is line i + 1
        chunksize=chunk_size,
        engine="c",
    )


def _csv_error(exc: Exception) -> RejectedFile:
    return RejectedFile(f"CSV 文件格式有误（{str(exc)[:80]}）：请检查分隔符和引号，或另存为 .xlsx 后重新上传。")


def csv_head(path: Path, encoding: str, rows: int = HEADER_SCAN_ROWS) -> list[list[str | None]]:
    """The first `rows` lines as cell text."""
    return [[v or None for v in record] for record in _csv_records(path, encoding, rows)]


def csv_width(path: Path, encoding: str, sample: int = 1000) -> int:
    """The most fields on one line among the first `sample` lines."""
    return max((len(record) for record in _csv_records(path, encoding, sample)), default=1)


def _csv_records(path: Path, encoding: str, limit: int) -> list[list[str]]:
    records = []
    try:
        delimiter = csv_delimiter(path, encoding)
        with path.open(encoding=encoding, newline="") as fh:
            for record in csv.reader(fh, delimiter=delimiter):
                records.append(record)
                if len(records) >= limit:
                    break
    except csv.Error as exc:
        raise _csv_error(exc) from exc
    return records


def csv_chunks(
    path: Path, encoding: str, columns: dict[int, str], data_start_row: int, chunk_size: int
) -> Iterator[pd.DataFrame]:
    """Raw frames of a CSV's data lines from `data_start_row` (line number, header line 1).

    Only the mapped columns and column A are read (a 合计 label stands in column A beside a 序号 column): a CSV of
    9,000 columns costs what its few mapped ones cost. A line is blank, or a total line, by those columns."""
    keys = list(columns.values())
    width = max(csv_width(path, encoding), max(columns, default=0) + 1)
    used: list[int] | None = sorted({0, *columns})
    started = False
    while True:
        try:
            for frame in _csv_reader(path, encoding, chunk_size, width, used):
                started = True
                yield from _csv_frame(frame, columns, keys, data_start_row)
            return
        except pd.errors.EmptyDataError:
            return
        except (pd.errors.ParserError, ValueError) as exc:
            # pandas refuses usecols when the first chunk holds only lines shorter than the width (a chunk of
            # title lines): read every column then, as before
            if used is None or started or "Too many columns specified" not in str(exc):
                raise _csv_error(exc) from exc
            used = None


def _csv_frame(frame: pd.DataFrame, columns: dict[int, str], keys: list[str], data_start_row: int):
    frame = frame.fillna("")  # fields missing on short lines
    numbers = frame.index.to_numpy() + 1
    filled = frame.apply(lambda col: col.str.strip(_WS) != "")
    first = frame.where(filled).bfill(axis=1).iloc[:, 0] if frame.shape[1] else pd.Series(dtype=object)
    keep = (numbers >= data_start_row) & filled.any(axis=1).to_numpy()
    keep &= ~first.fillna("").str.strip(_WS).str.startswith(TOTAL_PREFIXES).to_numpy()
    if not keep.any():
        return
    kept = frame.loc[keep]
    data = {}
    for index, key in zip(columns, keys, strict=True):
        values = kept[index].tolist() if index in kept.columns else [""] * len(kept)
        data[key] = object_array([v or None for v in values])
    out = pd.DataFrame(data, index=pd.RangeIndex(len(kept)), dtype=object, copy=False)
    out[ROW] = np.asarray(numbers[keep], dtype=np.int64)
    yield out
