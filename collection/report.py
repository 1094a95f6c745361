"""Annotated workbooks: what a township downloads to see, at the cell, every issue found in its upload.

`annotate_workbook` returns the township's own file (xlsx kept as it is; xls and csv converted to xlsx with the
same cell text at the same row numbers) with error cells filled red, warning cells yellow, a comment on each
explaining what to fix, and an issues sheet 问题清单. `invalid_rows_workbook` returns only the header and the rows
with errors, annotated the same way, with the original row numbers in a first column 原行号.

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

from collection.pipeline.types import ERROR, WARNING

ISSUES_SHEET = "问题清单"
ORIGINAL_ROW = "原行号"
AUTHOR = "基层数据归集平台"
ISSUE_HEADERS = ("行号", "列", "数据项", "规则", "级别", "说明", "原值")
ERROR_FILL = PatternFill("solid", start_color="FFFF9999", end_color="FFFF9999")
WARNING_FILL = PatternFill("solid", start_color="FFFFEB84", end_color="FFFFEB84")
HEADER_FILL = PatternFill("solid", start_color="FFDDE5F0", end_color="FFDDE5F0")
FORMULA_PREFIXES = ("=", "+", "-", "@")

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
}
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告"}


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
) -> bytes:
    """The township's own workbook with every issue marked at its cell, plus the 问题清单 sheet (xlsx bytes)."""
    issues = sorted(issues, key=_issue_order)
    workbook, sheet = _open_as_workbook(Path(original_path), fmt, sheet_name)
    _clear_previous_annotations(workbook)
    for (row, col), cell_issues in _by_cell(issues).items():
        _annotate(_anchor(sheet, row, col + 1), cell_issues)
    _add_issues_sheet(workbook, issues, item_names or {})
    workbook.active = workbook.worksheets.index(sheet)
    return _save(workbook)


def invalid_rows_workbook(
    original_path: Path,
    fmt: str,
    sheet_name: str | None,
    issues: Iterable[IssueLike],
    header_row: int,
    *,
    item_names: dict[str, str] | None = None,
) -> bytes:
    """A fresh workbook holding the header and only the rows with errors, annotated, with 原行号 first."""
    issues = sorted(issues, key=_issue_order)
    bad_rows = sorted({i.row for i in issues if i.severity == ERROR and i.row and i.row > header_row})
    header, rows = _pick_rows(Path(original_path), fmt, sheet_name, header_row, set(bad_rows))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _safe_title(sheet_name or "有误的行")
    _write_row(sheet, 1, [ORIGINAL_ROW, *header], bold=True)
    new_row_of = {}
    for n, original_row in enumerate(bad_rows, start=2):
        _write_row(sheet, n, [original_row, *rows.get(original_row, [])])
        new_row_of[original_row] = n
    for (row, col), cell_issues in _by_cell(issues).items():
        if row in new_row_of:
            _annotate(sheet.cell(new_row_of[row], col + 2), cell_issues)
    sheet.freeze_panes = "B2"
    _add_issues_sheet(workbook, [i for i in issues if i.row in new_row_of or not i.row], item_names or {})
    return _save(workbook)


def batch_report(batch, *, invalid_only: bool = False) -> bytes:
    """The annotated workbook (or the invalid rows only) of a stored batch, from its kept file and issues."""
    path = Path(batch.file.path)
    issues = list(batch.issues.all())
    names = _item_names(batch)
    build = invalid_rows_workbook if invalid_only else annotate_workbook
    return build(path, sniff_format(path), batch.sheet_name or None, issues, batch.header_row or 1, item_names=names)


def report_filename(batch, *, invalid_only: bool = False) -> str:
    """A download name the township recognises: its own file name with a suffix."""
    stem = Path(batch.original_name or "batch").stem
    sheet = f"_{batch.sheet_name}" if batch.sheet_name and batch.group else ""
    return f"{stem}{sheet}_{'有误的行' if invalid_only else '批注版'}.xlsx"


def sniff_format(path: Path) -> str:
    """xlsx, xls or csv, from the file's first bytes (the name may lie; the pipeline already accepted it)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


# -- writing cells -------------------------------------------------------------------------------------------


def set_text_safe(cell: Cell, value: Any) -> None:
    """Assign a value; text that looks like a formula stays text (never evaluated when the file is opened)."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True


def _write_row(sheet: Worksheet, row: int, values: list, *, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        cell = sheet.cell(row, col)
        set_text_safe(cell, _plain(value))
        if bold:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL


def _plain(value: Any) -> Any:
    """Values openpyxl can write: formulas of the original become their text."""
    if value is None or isinstance(value, (str, int, float, bool)) or hasattr(value, "isoformat"):
        return value
    return str(value)


def _annotate(cell: Cell, cell_issues: list[IssueLike]) -> None:
    has_error = any(i.severity == ERROR for i in cell_issues)
    cell.fill = ERROR_FILL if has_error else WARNING_FILL
    text = "\n".join(f"【{severity_label(i.severity)}·{rule_label(i.rule)}】{i.message}" for i in cell_issues)
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
    ours = {ERROR_FILL.fgColor.rgb, WARNING_FILL.fgColor.rgb}
    return fill.patternType == "solid" and getattr(fill.fgColor, "rgb", None) in ours


def _add_issues_sheet(workbook: Workbook, issues: list[IssueLike], item_names: dict[str, str]) -> None:
    sheet = workbook.create_sheet(ISSUES_SHEET)
    _write_row(sheet, 1, list(ISSUE_HEADERS), bold=True)
    for n, issue in enumerate(issues, start=2):
        column = issue.column or ""
        if issue.column_index is not None:
            column = f"{column}（{get_column_letter(issue.column_index + 1)}列）"
        item = item_names.get(issue.item, issue.item) if issue.item else ""
        severity = SEVERITY_LABELS.get(issue.severity, issue.severity)
        values = [issue.row, column, item, rule_label(issue.rule), severity, issue.message, issue.value or ""]
        _write_row(sheet, n, values)
        sheet.cell(n, 5).fill = ERROR_FILL if issue.severity == ERROR else WARNING_FILL
    for letter, width in zip("ABCDEFG", (8, 22, 14, 16, 8, 60, 28), strict=True):
        sheet.column_dimensions[letter].width = width
    for cell in sheet["F"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:G{max(1, len(issues) + 1)}"


def _by_cell(issues: list[IssueLike]) -> dict[tuple[int, int], list[IssueLike]]:
    cells: dict[tuple[int, int], list[IssueLike]] = defaultdict(list)
    for issue in issues:
        if issue.row and issue.column_index is not None:
            cells[(issue.row, issue.column_index)].append(issue)
    return cells


def _issue_order(issue: IssueLike) -> tuple:
    return (issue.row or 0, issue.column_index if issue.column_index is not None else -1, issue.rule)


def _save(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _safe_title(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31] or "数据"


# -- reading the original ------------------------------------------------------------------------------------


def _open_as_workbook(path: Path, fmt: str, sheet_name: str | None) -> tuple[Workbook, Worksheet]:
    """The original as an openpyxl workbook: xlsx loaded with its layout, xls/csv converted cell by cell."""
    if fmt in ("xlsx", "xlsm"):
        workbook = load_workbook(path, rich_text=False)
        sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.active
        return workbook, sheet
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _safe_title(sheet_name or "数据")
    for row_number, values in _iter_rows(path, fmt, sheet_name):
        for col, value in enumerate(values, start=1):
            if value not in (None, ""):
                set_text_safe(sheet.cell(row_number, col), _plain(value))
    return workbook, sheet


def _pick_rows(
    path: Path, fmt: str, sheet_name: str | None, header_row: int, wanted: set[int]
) -> tuple[list, dict[int, list]]:
    """The header texts and the values of the wanted rows, streamed (the whole file is never held)."""
    header: list = []
    rows: dict[int, list] = {}
    last = max(wanted, default=header_row)
    for row_number, values in _iter_rows(path, fmt, sheet_name):
        if row_number == header_row:
            header = list(values)
        elif row_number in wanted:
            rows[row_number] = list(values)
        if row_number >= last:
            break
    if fmt in ("xlsx", "xlsm"):
        header = _fill_header_from_merges(path, sheet_name, header_row, header)
    return _trim(header), rows


def _fill_header_from_merges(path: Path, sheet_name: str | None, header_row: int, header: list) -> list:
    """A header cell merged vertically with the row above holds its text in the upper cell: use it."""
    if all(h not in (None, "") for h in header):
        return header
    workbook = load_workbook(path, read_only=False)
    sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.active
    header = list(header)
    for merged in sheet.merged_cells.ranges:
        if merged.min_row < header_row <= merged.max_row:
            for col in range(merged.min_col, merged.max_col + 1):
                while len(header) < col:
                    header.append(None)
                if header[col - 1] in (None, ""):
                    header[col - 1] = sheet.cell(merged.min_row, merged.min_col).value
    return header


def _trim(values: list) -> list:
    values = list(values)
    while values and values[-1] in (None, ""):
        values.pop()
    return values


def _iter_rows(path: Path, fmt: str, sheet_name: str | None) -> Iterator[tuple[int, list]]:
    """(Excel row number, cell values) for every row of the sheet; CSV: (line number, fields)."""
    if fmt in ("xlsx", "xlsm"):
        workbook = load_workbook(path, read_only=True, data_only=False)
        try:
            sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.active
            for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield row_number, list(values)
        finally:
            workbook.close()
    elif fmt == "xls":
        yield from _iter_xls(path, sheet_name)
    else:
        yield from enumerate(csv.reader(io.StringIO(_decode_csv(path.read_bytes()))), start=1)


def _iter_xls(path: Path, sheet_name: str | None) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    name = sheet_name if sheet_name in workbook.sheet_names else workbook.sheet_names[0]
    for row_number, values in enumerate(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False), 1):
        yield row_number, [_xls_value(v) for v in values]


def _xls_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK), as the pipeline reads it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _item_names(batch) -> dict[str, str]:
    """Element key → Chinese name (the header the catalog expects) for the batch's subcategory."""
    from catalog.specs_build import current_specs

    spec = current_specs().get(batch.subcategory_code) if batch.subcategory_id else None
    return {item.key: item.name for item in spec.items} if spec else {}
