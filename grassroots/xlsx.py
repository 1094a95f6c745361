"""Writing spreadsheets, in one place: the xlsx content type, the formula-safe cell writers and the sheet-name rule.

Every workbook the platform hands out holds data typed by townships and departments, and text such as "=HYPERLINK(..)"
or "-1+2" must never become a live formula when the file is opened (formula injection): text is always written as
text, and text that looks like a formula also gets Excel's quote prefix, so it stays text when a person edits the cell.

A township's own workbook handed back with annotations goes through `defuse_formulas` first: its live formulas
become their text. Two writers: `put_value` for openpyxl cells (workbooks that keep a layout: the township's own
file, the templates); `StreamedWorkbook` for new workbooks written row by row with XlsxWriter's constant-memory
mode (exports of any size: memory does not grow with the rows, and the finished file is streamed from a temporary
file).
"""

import datetime
import re
import tempfile
from collections.abc import Callable
from typing import IO, Any

import xlsxwriter
from django.http import FileResponse

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel evaluates a cell typed with one of these first characters (and "-"/"+" start formulas in most spreadsheets).
FORMULA_PREFIXES = ("=", "+", "-", "@")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
SHEET_TITLE_MAX = 31  # Excel refuses longer sheet names


def is_formula_like(value: Any) -> bool:
    """Text that a spreadsheet would evaluate if it were written as a plain cell value."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def sheet_title(name: str, fallback: str = "数据") -> str:
    """A valid sheet name: Excel's forbidden characters []:*?/\\ become _, at most 31 characters, never empty."""
    return _BAD_SHEET_CHARS.sub("_", name)[:SHEET_TITLE_MAX] or fallback


def put_value(cell, value):
    """Set an openpyxl cell's value; text is always text (never a formula), quote-prefixed when formula-like."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store text starting with "=" as a formula
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell


def defuse_formulas(workbook) -> int:
    """Turn every live formula of an openpyxl workbook loaded from an upload into its text (quote-prefixed, so it
    stays text): a workbook the platform hands back never evaluates what someone typed (=HYPERLINK(...), DDE).
    Returns how many cells were changed."""
    changed = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (is_formula_like(cell.value) and cell.data_type != "s"):
                    value = cell.value
                    put_value(cell, value if isinstance(value, str) else str(getattr(value, "text", value) or ""))
                    changed += 1
    return changed


class StreamedWorkbook:
    """A new xlsx written row by row in XlsxWriter's constant-memory mode: text always as text (formula-like text
    quote-prefixed), numbers as numbers, dates as dates. Each sheet must be written in row order."""

    OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False, "nan_inf_to_errors": True}  # fmt: skip

    def __init__(self, target: IO[bytes], *, author: str = "基层数据归集平台"):
        self.target = target
        self.book = xlsxwriter.Workbook(target, self.OPTIONS)
        self.book.set_properties({"author": author})
        self._formats: dict[tuple, Any] = {}

    def add_sheet(self, name: str):
        return self.book.add_worksheet(sheet_title(name))

    def style(self, fill: str | None = None, kind: str | None = None, bold: bool = False, wrap: bool = False):
        """The cell format of a fill colour (RGB hex), a value kind (date, datetime, time, quote) and font options;
        formats are created once per combination (XlsxWriter writes each one into the file)."""
        key = (fill, kind, bold, wrap)
        if key == (None, None, False, False):
            return None
        if key not in self._formats:
            props: dict[str, Any] = {"bold": bold, "text_wrap": wrap, "valign": "top" if wrap else "bottom"}
            if fill:
                props.update(pattern=1, bg_color=f"#{fill}")
            if kind == "date":
                props["num_format"] = "yyyy-mm-dd"
            elif kind == "datetime":
                props["num_format"] = "yyyy-mm-dd hh:mm:ss"
            elif kind == "time":
                props["num_format"] = "hh:mm:ss"
            elif kind == "quote":
                props["quote_prefix"] = True
            self._formats[key] = self.book.add_format(props)
        return self._formats[key]

    def write(self, sheet, row: int, col: int, value: Any, fill: str | None = None, *, bold=False, wrap=False):
        """Write one cell (0-based) by the value's type; None and "" write nothing unless the cell is filled."""
        if value is None or value == "":
            if fill:
                sheet.write_blank(row, col, None, self.style(fill, None, bold, wrap))
        elif isinstance(value, str):
            kind = "quote" if is_formula_like(value) else None
            sheet.write_string(row, col, value, self.style(fill, kind, bold, wrap))
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, self.style(fill, None, bold, wrap))
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, self.style(fill, None, bold, wrap))
        elif isinstance(value, datetime.datetime | datetime.date | datetime.time | datetime.timedelta):
            sheet.write_datetime(row, col, value, self.style(fill, _date_kind(value), bold, wrap))
        else:
            sheet.write_string(row, col, str(value), self.style(fill, None, bold, wrap))

    def write_values(self, sheet, row: int, values, *, bold: bool = False) -> None:
        """Write one row of values (0-based), left to right."""
        for col, value in enumerate(values):
            self.write(sheet, row, col, value, bold=bold)

    def close(self) -> None:
        self.book.close()


def _date_kind(value) -> str:
    if isinstance(value, datetime.datetime):
        return "date" if value.time() == datetime.time() else "datetime"
    return "date" if isinstance(value, datetime.date) else "time"


def streamed_response(filename: str, write: Callable[[StreamedWorkbook], None]) -> FileResponse:
    """A download of the workbook that `write` fills: built in constant memory into a temporary file, then sent in
    chunks (the file is deleted when the response is closed), so a 100,000-row export never sits in memory."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes (and so deletes) it after sending
    book = StreamedWorkbook(spool)
    write(book)
    book.close()
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
