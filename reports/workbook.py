"""A report as an official statistical form (xlsx): title, 表号 and 制定机关 top right, 填报单位, 统计时点 and
计量单位, the header with its 栏次 row (甲 乙 1 2 …), the rows and 合计, then the signature lines (单位负责人,
审核人, 制表人, 报出日期) and the notes. Written with the platform's one spreadsheet module (grassroots/xlsx.py):
text is always text, never a formula."""

from datetime import date
from typing import IO

from django.utils import timezone

from grassroots.xlsx import StreamedWorkbook, is_formula_like

from .filling import Row
from .tables import ReportTable

CODE_WIDTH, NAME_WIDTH, VALUE_WIDTH = 16, 26, 13
SIGNATURE_GAP = " " * 10


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class _Formats:
    """The cell formats of the form, created once per workbook."""

    def __init__(self, book):
        self._add = book.add_format
        self._border = {"border": 1, "valign": "vcenter"}
        border = self._border
        self.title = self._add({"bold": True, "font_size": 18, "align": "center", "valign": "vcenter"})
        self.right = self._add({"align": "right"})
        self.left = self._add({"align": "left"})
        self.header = self._add({**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"})
        self.index = self._add({**border, "align": "center", "font_size": 9})
        self.text = self._add({**border, "align": "left"})
        self.bold_text = self._add({**border, "align": "center", "bold": True})
        self.quoted = self._add({**border, "align": "left", "quote_prefix": True})
        self.note = self._add({"text_wrap": True, "valign": "top"})
        self._numbers: dict[tuple[int, bool], object] = {}

    def number(self, decimals: int, bold: bool = False):
        key = (decimals, bold)
        if key not in self._numbers:
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            self._numbers[key] = self._add({**self._border, "num_format": pattern, "bold": bold, "align": "right"})
        return self._numbers[key]


class _Writer:
    def __init__(self, sheet, formats: _Formats):
        self.sheet, self.formats = sheet, formats

    def text(self, row: int, col: int, value: str, fmt) -> None:
        self.sheet.write_string(row, col, value, self.formats.quoted if is_formula_like(value) else fmt)

    def span(self, row: int, first: int, last: int, value: str, fmt) -> None:
        """Text across columns first..last (one cell when they are the same)."""
        if last > first and not is_formula_like(value):
            self.sheet.merge_range(row, first, row, last, value, fmt)
        else:
            self.text(row, first, value, fmt)

    def data_row(self, r: int, row: Row, table: ReportTable, bold: bool = False) -> None:
        formats = self.formats
        self.text(r, 0, "" if row.key in (None, "total") else row.key, formats.text)
        self.text(r, 1, row.name, formats.bold_text if bold else formats.text)
        for c, column in enumerate(table.columns, start=2):
            value = row.values.get(column.code)
            if value is None:
                self.sheet.write_string(r, c, "—", formats.index)
            else:
                self.sheet.write_number(r, c, value, formats.number(column.decimals, bold))


def _header_labels(table: ReportTable) -> list[str]:
    mixed = len(table.units) > 1
    return [f"{c.label}\n（{c.unit}）" if mixed and c.unit else c.label for c in table.columns]


def save_report(target: IO[bytes], table: ReportTable, **details) -> None:
    """Write `table` as a workbook into `target` (a file opened for writing)."""
    workbook = StreamedWorkbook(target)
    write_report(workbook, table, **details)
    workbook.close()


def write_report(workbook: StreamedWorkbook, table: ReportTable, *, notes: list[str] = (), maker: str = "",
                 made: date | None = None) -> None:  # fmt: skip
    """Write `table` into `workbook`; `maker` and `made` fill 制表人 and 报出日期 (a confirmed report's)."""
    sheet = workbook.add_sheet(table.title)
    formats = _Formats(workbook.book)
    out = _Writer(sheet, formats)
    last = 1 + len(table.columns)
    right = max(2, last - 2)
    sheet.set_column(0, 0, CODE_WIDTH)
    sheet.set_column(1, 1, NAME_WIDTH)
    sheet.set_column(2, last, VALUE_WIDTH)
    sheet.set_row(0, 30)
    out.span(0, 0, last, table.title, formats.title)
    out.span(1, right, last, f"表    号：{table.number or table.form}", formats.right)
    out.span(2, right, last, f"制定机关：{table.department}", formats.right)
    when = f"统计时点：{chinese_date(table.as_of)}"
    unit = next(iter(table.units)) if len(table.units) == 1 else "见各栏"
    out.span(3, 0, 1, f"填报单位：{table.region_name}（{table.region}）", formats.left)
    if right > 2:
        out.span(3, 2, right - 1, when, formats.left)
    out.span(3, right, last, f"计量单位：{unit or '—'}", formats.right)
    if right <= 2:
        out.text(4, 0, when, formats.left)
    sheet.set_row(5, 36)
    for c, label in enumerate([table.key_header, table.row_header, *_header_labels(table)]):
        out.text(5, c, label, formats.header)
    for c, label in enumerate(["甲", "乙", *(str(n) for n in range(1, len(table.columns) + 1))]):
        sheet.write_string(6, c, label, formats.index)
    r = 7
    for row in table.rows:
        out.data_row(r, row, table)
        r += 1
    out.data_row(r, table.total, table, bold=True)
    made_text = chinese_date(made) if made else "    年  月  日"
    signatures = (
        f"单位负责人：{SIGNATURE_GAP}审核人：{SIGNATURE_GAP}制表人：{maker or SIGNATURE_GAP}{SIGNATURE_GAP}"
        f"报出日期：{made_text}"
    )
    out.span(r + 2, 0, last, signatures, formats.left)
    r += 4
    for line in _note_lines(table, list(notes)):
        sheet.set_row(r, 15 * (1 + len(line) // 60))
        out.span(r, 0, last, line, formats.note)
        r += 1


def _note_lines(table: ReportTable, notes: list[str]) -> list[str]:
    lines = []
    if table.description:
        lines.append(f"填报说明：{table.description}")
    if table.basis:
        lines.append(f"制度依据：{table.basis}")
    lines.extend(notes)
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    lines.append(f"数据来源：基层基础数据库（一表通自动填报，{stamp} 生成）。")
    return lines
