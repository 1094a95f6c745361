"""Annotated workbooks: what a township downloads to see, at the cell, every issue found in its upload.

`annotate_workbook` returns the township's own file with error cells filled red, warning cells yellow, a comment on
each explaining what to fix, and an issues sheet 问题清单. An .xlsx up to LAYOUT_MAX_BYTES is loaded with openpyxl
and keeps its layout (merged title, styles, widths); .xls, .xlsb, .ods, .csv and larger .xlsx files are converted,
streamed, to a new .xlsx with the same cell values at the same row numbers (openpyxl would need minutes and
gigabytes there).
`invalid_rows_workbook` returns only the header and the rows with errors, annotated the same way, with the
original row numbers in a first column 原行号.
Both reflect the batch as it is now: a cell fixed on the web holds its current value, filled green when it passes,
with the file's value and the attempts in its comment (collection/cellhistory.py); 问题清单 keeps 原值 as the file's.

Every cell this module writes that holds text looking like a formula (=, +, -, @) is written as text.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from collection.cellhistory import EXCLUDED, FIXED, FixedCell, excluded_rows, fixed_cells
from collection.pipeline import opening, read
from collection.pipeline.guard import identify
from collection.pipeline.types import ERROR, WARNING
from grassroots.xlsx import StreamedWorkbook, defuse_formulas, put_value

ISSUES_SHEET = "问题清单"
ORIGINAL_ROW = "原行号"
AUTHOR = "基层数据归集平台"
ISSUE_HEADERS = ("行号", "列", "数据项", "规则", "级别", "说明", "原值", "网页修正后的值")
ISSUE_WIDTHS = (8, 22, 14, 16, 8, 60, 28, 28)
ERROR_RGB, WARNING_RGB, HEADER_RGB, FIXED_RGB, EXCLUDED_RGB = "FF9999", "FFEB84", "DDE5F0", "C8E6C9", "D9D9D9"
ERROR_FILL = PatternFill("solid", start_color=f"FF{ERROR_RGB}", end_color=f"FF{ERROR_RGB}")
WARNING_FILL = PatternFill("solid", start_color=f"FF{WARNING_RGB}", end_color=f"FF{WARNING_RGB}")
HEADER_FILL = PatternFill("solid", start_color=f"FF{HEADER_RGB}", end_color=f"FF{HEADER_RGB}")
FIXED_FILL = PatternFill("solid", start_color=f"FF{FIXED_RGB}", end_color=f"FF{FIXED_RGB}")
EXCLUDED_FILL = PatternFill("solid", start_color=f"FF{EXCLUDED_RGB}", end_color=f"FF{EXCLUDED_RGB}")
FILLS = {ERROR_RGB: ERROR_FILL, WARNING_RGB: WARNING_FILL, FIXED_RGB: FIXED_FILL, EXCLUDED_RGB: EXCLUDED_FILL}
LAYOUT_MAX_BYTES = 1_000_000  # ≈ 20,000 rows: openpyxl keeps the layout in about 20 s; above, stream instead

RULE_LABELS = {
    "required": "必填项为空",
    "type": "格式或类型错误",
    "length": "长度不符",
    "pattern": "格式不符",
    "code": "不在代码表中",
    "checksum": "校验位错误",
    "precision_lost": "数字精度丢失",
    "range": "超出取值范围",
    "cross_field": "字段间不一致",
    "duplicate_in_file": "文件内重复",
    "conflict": "与其他乡镇冲突",
    "unknown_column": "未识别的列",
    "missing_column": "缺少必填列",
    "web_fix": "网页修正",
    "grid_elsewhere": "网格属其他乡镇",
    "grid_outside": "网格不在本村（社区）",
    "region_unresolved": "无法确定所属乡镇",
    "address_elsewhere": "地址属其他乡镇",
    "house_elsewhere": "房屋属其他乡镇",
    "excluded": "已排除的行",
}
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告", FIXED: "已修正", EXCLUDED: "已排除"}


class IssueLike(Protocol):
    """Anything with the fields of pipeline.types.Issue (the dataclass itself, or a BatchIssue row)."""

    row: int | None
    column: str | None
    column_index: int | None
    item: str | None
    rule: str
    severity: str
    message: str
    value: str


def rule_label(rule: str) -> str:
    """The Chinese name of a rule code, for reports and pages."""
    return RULE_LABELS.get(rule, rule)


def severity_label(severity: str) -> str:
    return SEVERITY_LABELS.get(severity, severity)


def annotate_workbook(
    original_path: Path,
    fmt: str,
    sheet_name: str | None,
    issues: Iterable[IssueLike],
    header_row: int,
    *,
    item_names: dict[str, str] | None = None,
    keep_layout: bool | None = None,
    fixed: Iterable[FixedCell] = (),
) -> bytes:
    """The township's own workbook with every issue marked at its cell, plus the 问题清单 sheet (xlsx bytes); the
    cells `fixed` on the web hold their current value.

    keep_layout: None decides by format and size (see the module docstring); True/False forces it (xlsx only).
    """
    path, issues, names = Path(original_path), sorted(issues, key=_issue_order), item_names or {}
    fixed = {(f.row, f.column_index): f for f in fixed}
    if keep_layout is None:
        keep_layout = fmt in ("xlsx", "xlsm") and path.stat().st_size <= LAYOUT_MAX_BYTES
    if not (keep_layout and fmt in ("xlsx", "xlsm")):
        return _streamed_copy(path, fmt, sheet_name, issues, names, fixed)
    with opening.readable_copy(path) as readable:  # an .xlsx named .xls, or laid out unusually, opens all the same
        workbook = load_workbook(readable, rich_text=False)
    defuse_formulas(workbook)  # the upload's own formulas come back as text, never live
    sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.active
    _clear_previous_annotations(workbook)
    for (row, col), fix in fixed.items():
        put_value(_anchor(sheet, row, col + 1), fix.value)
    for (row, col), cell_issues in _by_cell([*issues, *fixed.values()]).items():
        _annotate(_anchor(sheet, row, col + 1), cell_issues)
    _add_issues_sheet(workbook, issues, names, fixed)
    workbook.active = workbook.worksheets.index(sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def invalid_rows_workbook(
    original_path: Path,
    fmt: str,
    sheet_name: str | None,
    issues: Iterable[IssueLike],
    header_row: int,
    *,
    item_names: dict[str, str] | None = None,
    fixed: Iterable[FixedCell] = (),
) -> bytes:
    """A fresh workbook holding the header and only the rows with errors, annotated, with 原行号 first."""
    issues, fixed = sorted(issues, key=_issue_order), {(f.row, f.column_index): f for f in fixed}
    bad_rows = sorted({i.row for i in issues if i.severity == ERROR and i.row and i.row > header_row})
    header, upper, rows = _pick_rows(Path(original_path), fmt, sheet_name, header_row, set(bad_rows))
    header = _complete_header(header, upper, issues)
    _apply_fixes(rows, fixed)
    cells = _by_cell([*issues, *fixed.values()])
    book = _FreshBook()
    sheet = book.add_sheet(sheet_name or "有误的行")
    book.write_row(sheet, 0, [ORIGINAL_ROW, *header], style="header")
    for n, original_row in enumerate(bad_rows, start=1):
        values = rows.get(original_row, [])
        marks = {col + 1: found for (row, col), found in cells.items() if row == original_row}
        book.write_row(sheet, n, [original_row, *values], marks=marks)
    sheet.freeze_panes(1, 1)
    kept = set(bad_rows)
    book.add_issues_sheet([i for i in issues if i.row in kept or not i.row], item_names or {}, fixed)
    return book.close()


def original_path(batch) -> Path:
    """The batch's stored upload; FileNotFoundError when it is gone (deleted from disk, or never stored)."""
    path = Path(batch.file.path) if batch.file else None
    if path is None or not path.exists():
        raise FileNotFoundError(f"batch {batch.pk}: stored file missing")
    return path


def batch_report(batch, *, invalid_only: bool = False) -> bytes:
    """The annotated workbook (or the invalid rows only) of a stored batch, from its kept file, its issues and the
    cells fixed on the web (written with their current values)."""
    path = original_path(batch)
    issues = list(batch.issues.exclude(staged_row__excluded_at__isnull=False))  # rows excluded: no longer to fix
    issues += excluded_rows(batch)  # ... but marked with who, when and why
    names = _item_names(batch)
    build = invalid_rows_workbook if invalid_only else annotate_workbook
    header_row, fixed = batch.header_row or 1, fixed_cells(batch)  # written with their current values
    return build(path, sniff_format(path), batch.sheet_name or None, issues, header_row, item_names=names, fixed=fixed)


def sniff_format(path: Path) -> str:
    """xlsx, xlsb, ods, xls or csv, from the file's content (the name may lie; the pipeline already accepted it)."""
    return identify(Path(path)).format


def comment_text(cell_issues: list[IssueLike]) -> str:
    """One comment for all issues of a cell: 【错误·校验位错误】message, one line each."""
    return "\n".join(f"【{severity_label(i.severity)}·{rule_label(i.rule)}】{i.message}" for i in cell_issues)


# -- the township's own xlsx, kept as it is (openpyxl) --------------------------------------------------------


def _fill_rgb(cell_issues: list[IssueLike]) -> str:
    """Grey for an excluded row, else red for an error, else yellow for a warning, else green (a cell fixed on the
    web that passes)."""
    severities = {i.severity for i in cell_issues}
    if EXCLUDED in severities:
        return EXCLUDED_RGB
    return ERROR_RGB if ERROR in severities else WARNING_RGB if WARNING in severities else FIXED_RGB


def _severity_rgb(severity: str) -> str:
    """The fill of the 级别 cell of 问题清单."""
    return {ERROR: ERROR_RGB, EXCLUDED: EXCLUDED_RGB}.get(severity, WARNING_RGB)


def _annotate(cell: Cell, cell_issues: list[IssueLike]) -> None:
    rgb = _fill_rgb(cell_issues)
    cell.fill = FILLS[rgb]
    text = comment_text(cell_issues)
    if cell.comment is not None and cell.comment.author != AUTHOR:
        text = f"{cell.comment.text}\n———\n{text}"  # keep the township's own note
    comment = Comment(text, AUTHOR)
    comment.width, comment.height = 320, 40 + 36 * len(cell_issues)
    cell.comment = comment


def _anchor(sheet: Worksheet, row: int, col: int) -> Cell:
    """The cell to mark: inside a merged range, its top-left cell (merged cells take no fill or comment)."""
    cell = sheet.cell(row, col)
    if isinstance(cell, MergedCell):
        for merged in sheet.merged_cells.ranges:
            if cell.coordinate in merged:
                return sheet.cell(merged.min_row, merged.min_col)
    return cell


def _clear_previous_annotations(workbook: Workbook) -> None:
    """A re-uploaded annotated workbook must not keep stale marks: drop our comments, fills and issues sheet."""
    if ISSUES_SHEET in workbook.sheetnames:
        del workbook[ISSUES_SHEET]
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.comment is not None and cell.comment.author == AUTHOR:
                    cell.comment = None
                    if _is_our_fill(cell.fill):
                        cell.fill = PatternFill()


def _is_our_fill(fill) -> bool:
    ours = {fill.fgColor.rgb for fill in FILLS.values()}
    return fill.patternType == "solid" and getattr(fill.fgColor, "rgb", None) in ours


def _add_issues_sheet(workbook: Workbook, issues: list[IssueLike], item_names: dict[str, str], fixed: dict) -> None:
    sheet = workbook.create_sheet(ISSUES_SHEET)
    for n, values in enumerate([list(ISSUE_HEADERS), *_issue_rows(issues, item_names, fixed)], start=1):
        for col, value in enumerate(values, start=1):
            put_value(sheet.cell(n, col), value)
        if n == 1:
            for cell in sheet[1]:
                cell.font, cell.fill = Font(bold=True), HEADER_FILL
        else:
            sheet.cell(n, 5).fill = FILLS[_severity_rgb(issues[n - 2].severity)]
            sheet.cell(n, 6).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate(ISSUE_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(ISSUE_HEADERS))}{max(1, len(issues) + 1)}"


# -- fresh workbooks, streamed (xlsxwriter in constant-memory mode) -------------------------------------------


class _FreshBook(StreamedWorkbook):
    """A new xlsx written row by row (grassroots.xlsx), with marked cells filled and commented and an issues sheet."""

    def __init__(self):
        super().__init__(io.BytesIO(), author=AUTHOR)

    def write_row(self, sheet, row: int, values: list, *, marks: dict | None = None, style: str = "") -> None:
        """Write one row (0-based); `marks`: 0-based column → the issues of that cell."""
        if not marks and not style:  # the common case, kept lean: most rows of a big file have no issue
            for col, value in enumerate(values):
                if value is not None:
                    self.write(sheet, row, col, value)
            return
        marks = marks or {}
        for col in range(max(len(values), max(marks, default=-1) + 1)):
            value = values[col] if col < len(values) else None
            found = marks.get(col)
            fill = _fill_rgb(found) if found else None
            if style == "header":
                fill = fill or HEADER_RGB
            self.write(sheet, row, col, value, fill, bold=style == "header")
            if found:
                sheet.write_comment(row, col, comment_text(found), _comment_options(len(found)))

    def add_issues_sheet(self, issues: list[IssueLike], item_names: dict[str, str], fixed: dict) -> None:
        sheet = self.add_sheet(ISSUES_SHEET)
        for col, width in enumerate(ISSUE_WIDTHS):
            sheet.set_column(col, col, width)
        for col, title in enumerate(ISSUE_HEADERS):
            self.write(sheet, 0, col, title, HEADER_RGB, bold=True)
        for n, (issue, values) in enumerate(zip(issues, _issue_rows(issues, item_names, fixed), strict=True), start=1):
            for col, value in enumerate(values):
                fill = _severity_rgb(issue.severity) if col == 4 else None
                self.write(sheet, n, col, value, fill, wrap=col == 5)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(issues), 1), len(ISSUE_HEADERS) - 1)

    def close(self) -> bytes:
        super().close()
        return self.target.getvalue()


def _comment_options(n: int) -> dict:
    return {"author": AUTHOR, "x_scale": 2.5, "y_scale": 1 + 0.6 * n}


def _streamed_copy(path: Path, fmt: str, sheet_name: str | None, issues: list, item_names: dict, fixed: dict) -> bytes:
    """The original's cell values (fixed cells: their current value) at the same row numbers in a new xlsx,
    annotated, without loading it whole."""
    cells = _by_cell([*issues, *fixed.values()])
    fixes_by_row = defaultdict(dict)
    for (row, col), fix in fixed.items():
        fixes_by_row[row][col] = fix.value
    rows_with_marks = defaultdict(dict)
    for (row, col), found in cells.items():
        rows_with_marks[row][col] = found
    book = _FreshBook()
    sheet = book.add_sheet(sheet_name or "数据")
    last = 0
    for row_number, values in _iter_rows(path, fmt, sheet_name):
        if row_number in fixes_by_row:
            values = _with_values(values, fixes_by_row[row_number])
        book.write_row(sheet, row_number - 1, values, marks=rows_with_marks.get(row_number))
        last = row_number
    for pending in sorted(r for r in rows_with_marks if r > last):  # marks below the last row the file holds
        book.write_row(sheet, pending - 1, [], marks=rows_with_marks[pending])
    book.add_issues_sheet(issues, item_names, fixed)
    return book.close()


# -- shared --------------------------------------------------------------------------------------------------


def _issue_rows(issues: list[IssueLike], item_names: dict[str, str], fixed: dict | None = None) -> Iterator[list]:
    """The 问题清单 rows: 行号, 列 (header and letter), 数据项 (Chinese name), 规则, 级别, 说明, 原值 (the file's,
    also for a cell fixed on the web), 网页修正后的值."""
    fixed = fixed or {}
    for issue in issues:
        column = issue.column or ""
        if issue.column_index is not None:
            column = f"{column}（{get_column_letter(issue.column_index + 1)}列）"
        item = item_names.get(issue.item, issue.item) if issue.item else ""
        fix = fixed.get((issue.row, issue.column_index))
        original, now = (fix.file_value, fix.value) if fix else (issue.value or "", "")
        yield [issue.row, column, item, rule_label(issue.rule), severity_label(issue.severity), issue.message,
               original, now]  # fmt: skip


def _with_values(values: list, by_column: dict[int, Any]) -> list:
    """A row's cell values with some columns replaced (0-based), padded when a column lies beyond the row's end."""
    values = list(values)
    values.extend([None] * (max(by_column) + 1 - len(values)))
    for col, value in by_column.items():
        values[col] = value
    return values


def _apply_fixes(rows: dict[int, list], fixed: dict) -> None:
    """The picked rows with their fixed cells' current values."""
    for (row, col), fix in fixed.items():
        if row in rows:
            rows[row] = _with_values(rows[row], {col: fix.value})


def _by_cell(issues: list[IssueLike]) -> dict[tuple[int, int], list[IssueLike]]:
    cells: dict[tuple[int, int], list[IssueLike]] = defaultdict(list)
    for issue in issues:
        if issue.row and issue.column_index is not None:
            cells[(issue.row, issue.column_index)].append(issue)
    return cells


def _issue_order(issue: IssueLike) -> tuple:
    return (issue.row or 0, issue.column_index if issue.column_index is not None else -1, issue.rule)


# -- reading the original (calamine for workbooks, csv for CSV; streamed) -------------------------------------


def _pick_rows(
    path: Path, fmt: str, sheet_name: str | None, header_row: int, wanted: set[int]
) -> tuple[list, list, dict[int, list]]:
    """The header row, the row above it and the values of the wanted rows; stops after the last one."""
    upper: list = []
    header: list = []
    rows: dict[int, list] = {}
    last = max(wanted, default=header_row)
    for row_number, values in _iter_rows(path, fmt, sheet_name):
        if row_number == header_row - 1:
            upper = values
        elif row_number == header_row:
            header = values
        elif row_number in wanted:
            rows[row_number] = values
        if row_number >= last:
            break
    return header, upper, rows


def _complete_header(header: list, upper: list, issues: list[IssueLike]) -> list:
    """Header texts; where the header row is empty, the header the issues name, else the cell above (a two-row
    header whose cell is merged vertically keeps its text in the upper row)."""
    header = list(header)
    for issue in issues:
        if issue.column_index is not None and issue.column:
            header.extend([None] * (issue.column_index + 1 - len(header)))
            if header[issue.column_index] in (None, ""):
                header[issue.column_index] = issue.column
    header = [h if h not in (None, "") or i >= len(upper) else upper[i] for i, h in enumerate(header)]
    return _trim(header)


def _trim(values: list) -> list:
    values = list(values)
    while values and values[-1] in (None, ""):
        values.pop()
    return values


def _iter_rows(path: Path, fmt: str, sheet_name: str | None) -> Iterator[tuple[int, list]]:
    """(Excel row number, cell values from column A) of every row of the sheet; CSV: (line number, fields)."""
    if fmt == "csv":
        with path.open(encoding=read.detect_csv_encoding(path), newline="") as fh:
            yield from enumerate(csv.reader(fh), start=1)
        return
    book = opening.open_workbook(path)
    names = book.sheet_names
    sheet = opening.load_sheet(book, sheet_name if sheet_name in names else names[0])
    top, left = read.sheet_origin(sheet)
    pad = [None] * left
    for row_number, values in enumerate(sheet.iter_rows(), start=top + 1):
        yield row_number, pad + [_cell_value(v) for v in values]


def _cell_value(value: Any) -> Any:
    """A calamine value as written back: empty → None, whole floats → int (ids as numbers keep their float form)."""
    if value == "":
        return None
    if value.__class__ is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _item_names(batch) -> dict[str, str]:
    """Element key → Chinese name (the header the catalog expects) for the batch's subcategory."""
    from catalog.specs_build import current_specs

    spec = current_specs().get(batch.subcategory_code) if batch.subcategory_id else None
    return {item.key: item.name for item in spec.items} if spec else {}
