"""Writing spreadsheets, in one place: the xlsx content type, the formula-safe cell writers and the sheet-name rule.

Every workbook the platform hands out holds data typed by townships and departments, and text such as "=HYPERLINK(..)"
or "-1+2" must never become a live formula when the file is opened (formula injection): text is always written as
text, and text that looks like a formula also gets Excel's quote prefix, so it stays text when a person edits the cell.

A township's own workbook handed back with annotations goes through `defuse_formulas` first: its live formulas
become their text. Two writers: `put_value` for openpyxl cells (a workbook loaded to be annotated: the township's
own file); `StreamedWorkbook` for new workbooks written row by row with XlsxWriter's constant-memory mode (exports
of any size, the templates and the 核对表: memory does not grow with the rows, and the finished file is streamed from
a temporary file).
"""

import datetime
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter
from django.http import FileResponse
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

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


DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class CellFormats:
    """The formats of one kind of cell (a column, a header) for `StreamedWorkbook.put`: `plain` for its values (None:
    the default format; blank cells are written only when it is set), `quoted` for formula-like text (plain with
    the quote prefix), `date` for dates (plain with a date format unless plain has a number format)."""

    plain: Any
    quoted: Any
    date: Any


# What a string cell needs beyond its text as XlsxWriter would write it: XML escapes, control characters (_xHHHH_),
# text that looks like such an escape, Excel's non-characters.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_FORMULA_FIRST = frozenset(prefix[0] for prefix in FORMULA_PREFIXES)


def _escaped(text: str) -> str:
    """Text as an inline string's XML, escaped as XlsxWriter escapes it (its _write_cell, inline strings)."""
    text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class RowSheet(Worksheet):
    """An XlsxWriter worksheet (constant-memory mode) that also takes a whole row of values at once: `write_row_at`
    writes the row's XML straight into the sheet's row file, the cells exactly as XlsxWriter writes them one by one
    (inline strings, numbers, booleans, dates as serial numbers, formatted blanks), in a tenth of the time. XlsxWriter
    spends ~15-25 µs a cell in its generic path; a 20,000-row 核对表 has 300,000 cells.

    It relies on XlsxWriter's constant-memory internals (row file `fh`, `previous_row`, `table`), pinned in
    requirements.txt; tests/test_xlsx.py compares its output with XlsxWriter's own cell by cell."""

    _layout_of: tuple | None = None
    _layout: list[tuple] = []

    def write_row_at(self, row: int, values, formats: tuple[CellFormats, ...]) -> None:
        """Write the cells of row `row` (0-based, below every row written so far): `values` in column order from
        column A, each in the CellFormats of its column (`formats`, a tuple: pass the same one for every row);
        formula-like text is quoted; None and "" are a formatted blank when the column's plain format is set, else
        nothing. Text, numbers, booleans and dates (not datetimes: TypeError)."""
        if not self.constant_memory:
            raise ValueError("write_row_at needs constant_memory mode")
        if row >= self.xls_rowmax or len(values) > self.xls_colmax or row in self.row_info:
            raise ValueError(f"row {row} is outside the worksheet, too wide or has a row format")
        if row > self.previous_row:
            self._write_single_row(row)  # flush the row written cell by cell before, as XlsxWriter does
        elif row < self.previous_row or self.table:
            raise ValueError(f"row {row} is above or in a row already written")
        if formats is not self._layout_of:
            self._layout_of, self._layout = formats, [self._column_layout(col, f) for col, f in enumerate(formats)]
        number, cells, first, last = row + 1, [], -1, -1
        for col, (value, (letter, blank, plain, quoted, dated)) in enumerate(zip(values, self._layout, strict=True)):
            if value is None or value == "":
                if blank is None:
                    continue
                cells.append(f'<c r="{letter}{number}"{blank}/>')
            elif isinstance(value, str):
                if _NEEDS_ESCAPE.search(value):
                    value = _escaped(value)
                space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                style = quoted if value[0] in _FORMULA_FIRST else plain
                cells.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{space}>{value}</t></is></c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{letter}{number}"{plain} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{letter}{number}"{plain}><v>{value:.16G}</v></c>')
            elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
                cells.append(f'<c r="{letter}{number}"{dated}><v>{self._convert_date_time(value):.16G}</v></c>')
            else:
                raise TypeError(f"write_row_at does not write {type(value).__name__} values")
            first = col if first < 0 else first
            last = col
        if cells:
            self._check_dimensions(row, first)
            self._check_dimensions(row, last)
            self.fh.write(f'<row r="{number}">{"".join(cells)}</row>')

    def _column_layout(self, col: int, formats: CellFormats) -> tuple:
        """(letter, blank cell's s attribute or None, s attributes of plain, quoted and date values): a cell
        without a format of its own takes its column's, as in XlsxWriter's _write_cell."""
        column = self.col_info[col].column_format if col in self.col_info else None

        def style(cell_format) -> str:
            cell_format = cell_format if cell_format is not None else column
            return f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""

        blank = style(formats.plain) if formats.plain is not None else None
        return xl_col_to_name(col), blank, style(formats.plain), style(formats.quoted), style(formats.date)


class StreamedWorkbook:
    """A new xlsx written row by row in XlsxWriter's constant-memory mode: text always as text (formula-like text
    quote-prefixed), numbers as numbers, dates as dates. Each sheet must be written in row order."""

    OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False, "nan_inf_to_errors": True}  # fmt: skip

    def __init__(self, target: IO[bytes] | str, *, author: str = "基层数据归集平台"):
        self.target = target
        self.book = xlsxwriter.Workbook(target, self.OPTIONS)
        self.book.set_properties({"author": author})
        self._formats: dict[tuple, Any] = {}
        self._cell_formats: dict[tuple, CellFormats] = {}

    def add_sheet(self, name: str) -> RowSheet:
        return self.book.add_worksheet(sheet_title(name), worksheet_class=RowSheet)

    def cell_formats(self, **props) -> CellFormats:
        """The formats of cells with these XlsxWriter format properties (num_format, bold, font_color, bg_color...),
        created once per set of properties."""
        key = tuple(sorted(props.items()))
        if key not in self._cell_formats:
            plain = self.book.add_format(props) if props else None
            date = plain if "num_format" in props else self.book.add_format({**props, "num_format": DATE_FORMAT})
            self._cell_formats[key] = CellFormats(plain, self.book.add_format({**props, "quote_prefix": True}), date)
        return self._cell_formats[key]

    def put(self, sheet, row: int, col: int, value: Any, formats: CellFormats) -> None:
        """Write one cell (0-based) in given formats, by the value's type: text as text (formula-like text quoted),
        numbers, booleans, dates; None and "" write a blank cell when `formats.plain` is set, else nothing."""
        if value is None or value == "":
            if formats.plain is not None:
                sheet.write_blank(row, col, None, formats.plain)
        elif isinstance(value, str):
            sheet.write_string(row, col, value, formats.quoted if is_formula_like(value) else formats.plain)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, formats.plain)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, formats.plain)
        elif isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            sheet.write_datetime(row, col, value, formats.date)
        else:
            self.write(sheet, row, col, value)

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
                props["num_format"] = DATE_FORMAT
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


def spooled_file() -> IO[bytes]:
    """A temporary file to write a download into before `spooled_response` sends it (deleted once closed)."""
    return tempfile.TemporaryFile()  # the response that sends it closes (and so deletes) it


def spooled_response(spool: IO[bytes], filename: str) -> FileResponse:
    """A download of the workbook written into `spool` (from `spooled_file`), sent in chunks from the start of the
    file; the file is deleted when the response is closed."""
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def streamed_response(filename: str, write: Callable[[StreamedWorkbook], None]) -> FileResponse:
    """A download of the workbook that `write` fills: built in constant memory into a temporary file, then sent in
    chunks (the file is deleted when the response is closed), so a 100,000-row export never sits in memory."""
    spool = spooled_file()
    book = StreamedWorkbook(spool)
    write(book)
    book.close()
    return spooled_response(spool, filename)
