"""Excel collection templates (.xlsx) generated from the catalog, one sheet per subcategory.

What a township fills in: an instructions sheet (填表说明) first, then per subcategory a sheet with Chinese headers
(required ones marked "*" in red), text-formatted ID/code columns, drop-downs from the code tables, date formats,
a frozen header and widths that fit Chinese text. Hidden metadata lets an upload be recognised without asking:
a veryHidden sheet `_meta`, workbook defined names and custom document properties (layout in docs/catalog.md).
"""

import io
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from xlsxwriter.utility import quote_sheetname, xl_col_to_name

from grassroots.xlsx import CellFormats, StreamedWorkbook, sheet_title

from .choices import ElementType
from .describe import TEXT_TYPES, describe_cross_rule, describe_rules, describe_values, example_for, type_label
from .models import Category, Subcategory
from .spec import ItemSpec, TableSpec
from .specs_build import build_table_specs, current_version

TEMPLATE_FORMAT = "1"
INSTRUCTIONS_SHEET = "填表说明"
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
META_MARKER = "grassroots_template"
META_TABLE_ROW = 8  # header row of the sheet table in _meta; one row per data sheet follows
DEFAULT_ROWS = 2000  # data rows pre-formatted and validated in a subcategory template
# A category workbook holds a dozen sheets or more: fewer pre-formatted cells keep it quick to build and small; the
# column styles still format every row typed beyond them.
CATEGORY_ROWS = 500
REQUIRED_MARK = "*"
HEADER_ROW, FIRST_DATA_ROW = 1, 2
NUMBER_FORMATS = {ElementType.DATE: "yyyy-mm-dd", ElementType.INTEGER: "0"}
MIN_WIDTHS = {
    ElementType.ID_CARD: 22,
    ElementType.USCC: 22,
    ElementType.PHONE: 15,
    ElementType.DATE: 13,
    ElementType.REFERENCE: 22,
}
INLINE_LIST_MAX = 200  # longer lists go to the hidden _lists sheet (Excel caps inline lists at 255 characters)
HEADER_FILL = "#DDEBF7"
RED, BLACK = "C00000", "000000"
COMMENT_OPTIONS = {"author": "基层数据归集平台", "width": 320, "height": 160}
VALIDATION = {
    "validate": "list",
    "ignore_blank": True,
    "error_type": "warning",
    "error_title": "不在下拉列表中",
    "error_message": "请从下拉列表中选择；常见简写（如“男”“汉”“本科”）也可接受，上传时会核验。",
    "show_error": True,
}


class TemplateError(Exception):
    """No template for this code (unknown or retired subcategory or category); the message is Chinese."""


@dataclass(frozen=True)
class TemplateMeta:
    """What an uploaded workbook's hidden metadata says: catalog version and which sheet holds which subcategory."""

    catalog_version: str
    sheets: dict[str, str]  # sheet name -> subcategory code
    source: str  # "_meta", "defined_names" or "properties": where it was found


def display_width(text: str) -> int:
    """Width in Excel character units: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table_sheet_title(spec: TableSpec) -> str:
    """The sheet of a subcategory in a template: its code and name (P0101户籍人口)."""
    return sheet_title(f"{spec.code}{spec.name}")


def header_text(item: ItemSpec) -> str:
    return f"{REQUIRED_MARK}{item.name}" if item.required else item.name


# Code values that make poor examples (placeholders rather than typical answers), by the start of their label.
PLACEHOLDER_PREFIXES = ("未知", "未说明", "其他", "其它")


def template_example(item: ItemSpec) -> str:
    """The example shown for a column: `example_for`'s value, except that a placeholder code value (未知的性别…) is
    replaced by the first typical one in code order (性别 → 男性). The drop-down itself stays in code order."""
    example = example_for(item)
    labels = list(item.code_table.labels.values()) if item.code_table and item.code_table.labels else []
    if example in labels and example.startswith(PLACEHOLDER_PREFIXES):
        return next((label for label in labels if not label.startswith(PLACEHOLDER_PREFIXES)), example)
    return example


def header_comment(item: ItemSpec) -> str:
    parts = ["必填" if item.required else "选填", type_label(item), *describe_rules(item)]
    values = describe_values(item)
    if values:
        parts.append(f"可选值：{values}")
    example = template_example(item)
    if example:
        parts.append(f"示例：{example}")
    if item.help_text:
        parts.append(item.help_text)
    return "；".join(parts)


Row = Sequence[Any]  # one data row of a pre-filled sheet: values in item order (None: empty)


class _TemplateWriter:
    """Writes one workbook with XlsxWriter in constant-memory mode (grassroots.xlsx.StreamedWorkbook), every sheet
    row by row: memory does not grow with pre-filled rows. Drop-down lists too long to be inline are shared between
    sheets on the hidden _lists sheet, planned before any sheet is written (XlsxWriter orders sheets as created)."""

    def __init__(self, target, specs: list[TableSpec], version: str, content_hash: str):
        self.specs, self.version, self.content_hash = specs, version, content_hash
        self.book = StreamedWorkbook(target)
        self.lists: dict[str, tuple[str, list[str]]] = {}  # list key -> (title, labels), one _lists column each
        self.list_ranges: dict[str, str] = {}
        self.drop_downs = {spec.code: self.plan_drop_downs(spec) for spec in specs}

    def write(self, rows: int, data: Mapping[str, Iterable[Row]]) -> None:
        instructions = self.book.add_sheet(INSTRUCTIONS_SHEET)
        sheets = [(spec, self.book.add_sheet(table_sheet_title(spec))) for spec in self.specs]
        lists = self.book.add_sheet(LISTS_SHEET) if self.lists else None  # hidden sheets go after the data sheets
        meta = self.book.add_sheet(META_SHEET)
        self.write_instructions(instructions)
        for spec, sheet in sheets:
            self.write_sheet(sheet, spec, data.get(spec.code, ()), rows)
        if lists is not None:
            self.write_lists(lists)
        self.write_meta(meta)
        if sheets:
            sheets[0][1].activate()
        self.book.close()

    # --- the instructions sheet ---------------------------------------------------------------------------------
    def write_instructions(self, ws) -> None:
        put, plain = self.book.put, self.book.cell_formats()
        put(ws, 0, 0, "烟台市基层基础数据采集模板 · 填表说明", self.book.cell_formats(bold=True, font_size=14))
        intro = (
            f"目录版本 {self.version}。带 {REQUIRED_MARK} 的列为必填（红色表头）。请在各子类工作表的第 2 行起逐行填写，"
            "不要修改表头、不要删除或改名工作表；身份证号、代码等列已设为文本格式，请直接填写。"
        )
        put(ws, 1, 0, intro, plain)
        headers = ["工作表", "列", "表头", "必填", "类型", "填写要求", "可选值", "示例", "说明"]
        bold = self.book.cell_formats(bold=True, pattern=1, bg_color=HEADER_FILL)
        for col, text in enumerate(headers):
            put(ws, 3, col, text, bold)
        row = 4
        for spec in self.specs:
            for col, item in enumerate(spec.items):
                values = [
                    table_sheet_title(spec),
                    xl_col_to_name(col),
                    header_text(item),
                    "是" if item.required else "否",
                    type_label(item),
                    "；".join(describe_rules(item)),
                    describe_values(item),
                    template_example(item),
                    item.help_text,
                ]
                for c, value in enumerate(values):
                    put(ws, row, c, value, plain)
                row += 1
            names = {i.key: i.name for i in spec.items}
            for rule in spec.cross_rules:
                put(ws, row, 0, table_sheet_title(spec), plain)
                put(ws, row, 5, f"跨字段校验：{describe_cross_rule(rule, names)}", plain)
                row += 1
        for col, width in enumerate([24, 6, 22, 6, 16, 40, 40, 22, 30]):
            ws.set_column(col, col, width)
        ws.freeze_panes(4, 0)

    # --- one data sheet per subcategory -------------------------------------------------------------------------
    def write_sheet(self, ws, spec: TableSpec, data: Iterable[Row], rows: int) -> None:
        """Headers, column formats and widths, then the rows of `data`, then `rows` empty formatted rows; the
        drop-downs cover all of them."""
        put = self.book.put
        formats = tuple(self.format_column(ws, col, item) for col, item in enumerate(spec.items))
        for col, item in enumerate(spec.items):
            header = self.book.cell_formats(bold=True, font_color=f"#{RED if item.required else BLACK}", pattern=1,
                                            bg_color=HEADER_FILL, align="center", valign="vcenter")  # fmt: skip
            put(ws, HEADER_ROW - 1, col, header_text(item), header)
            ws.write_comment(HEADER_ROW - 1, col, header_comment(item), COMMENT_OPTIONS)
        ws.freeze_panes(FIRST_DATA_ROW - 1, 0)
        row = FIRST_DATA_ROW - 1
        for values in data:
            ws.write_row_at(row, values, formats)
            row += 1
        # The column style covers rows typed beyond the pre-formatted ones; the cells cover paste and fill-down.
        empty = [None] * len(formats)
        for blank in range(row, row + rows):
            ws.write_row_at(blank, empty, formats)
        last = row + rows - 1
        for col, formula in self.drop_downs[spec.code].items():
            ws.data_validation(FIRST_DATA_ROW - 1, col, max(last, FIRST_DATA_ROW - 1), col,
                               {**VALIDATION, "source": formula})  # fmt: skip
        self.book.book.define_name(f"{quote_sheetname(table_sheet_title(spec))}!GR_SUBCATEGORY", f'="{spec.code}"')

    def format_column(self, ws, col: int, item: ItemSpec) -> CellFormats:
        kind = ElementType.TEXT if item.type in TEXT_TYPES else item.type
        number_format = "@" if kind == ElementType.TEXT else NUMBER_FORMATS.get(kind)
        width = max(display_width(header_text(item)) + 4, MIN_WIDTHS.get(item.key_type or item.type, 10))
        formats = self.book.cell_formats(num_format=number_format) if number_format else self.book.cell_formats()
        ws.set_column(col, col, min(width, 50), formats.plain)
        return formats

    def plan_drop_downs(self, spec: TableSpec) -> dict[int, str]:
        """The list formula of each drop-down column (0-based) of a sheet."""
        found = {}
        for col, item in enumerate(spec.items):
            if item.type == ElementType.BOOLEAN:
                found[col] = self.list_formula(item, ["是", "否"])
            elif item.code_table is not None and item.code_table.labels:
                found[col] = self.list_formula(item, list(item.code_table.labels.values()))
        return found

    def list_formula(self, item: ItemSpec, labels: list[str]) -> str:
        inline = ",".join(labels)
        if len(inline) <= INLINE_LIST_MAX and not any('"' in v or "," in v for v in labels):
            return f'"{inline}"'
        key = item.code_table.code if item.code_table else item.type
        if key not in self.list_ranges:
            letter = xl_col_to_name(len(self.lists))
            self.lists[key] = (item.code_table.name if item.code_table else item.name, labels)
            self.list_ranges[key] = f"={quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(labels) + 1}"
        return self.list_ranges[key]

    def write_lists(self, ws) -> None:
        ws.hide()
        plain = self.book.cell_formats()
        columns = list(self.lists.values())
        for col, (title, _labels) in enumerate(columns):
            self.book.put(ws, 0, col, title, plain)
        for row in range(max(len(labels) for _title, labels in columns)):
            for col, (_title, labels) in enumerate(columns):
                if row < len(labels):
                    self.book.put(ws, row + 1, col, labels[row], plain)

    # --- hidden metadata ----------------------------------------------------------------------------------------
    def write_meta(self, ws) -> None:
        ws.very_hidden()
        put, plain = self.book.put, self.book.cell_formats()
        codes = ",".join(s.code for s in self.specs)
        pairs = [
            (META_MARKER, TEMPLATE_FORMAT),
            ("catalog_version", self.version),
            ("content_hash", self.content_hash),
            ("generated_at", timezone.now().isoformat(timespec="seconds")),
            ("subcategories", codes),
            ("header_row", str(HEADER_ROW)),
        ]
        for row, (key, value) in enumerate(pairs):
            put(ws, row, 0, key, plain)
            put(ws, row, 1, value, plain)
        for col, text in enumerate(["sheet", "subcategory", "name", "keys"]):
            put(ws, META_TABLE_ROW - 1, col, text, plain)
        for row, spec in enumerate(self.specs, start=META_TABLE_ROW):
            values = [table_sheet_title(spec), spec.code, spec.name, ",".join(i.key for i in spec.items)]
            for col, value in enumerate(values):
                put(ws, row, col, value, plain)
        names = {"GR_TEMPLATE": TEMPLATE_FORMAT, "GR_CATALOG_VERSION": self.version, "GR_SUBCATEGORIES": codes}
        for name, value in names.items():
            self.book.book.define_name(name, f'="{value}"')
        self.book.book.set_custom_property("grassroots_catalog_version", self.version)
        self.book.book.set_custom_property("grassroots_subcategories", codes)


def template_specs(code: str) -> tuple[str, list[TableSpec]]:
    """The title and the specs of a template: a subcategory code gives one sheet, a category code one per active
    subcategory of the category. TemplateError when the code names nothing active."""
    version = current_version()
    label = version.version if version else ""
    subs = Subcategory.objects.filter(is_active=True).select_related("category__domain").order_by("order", "code")
    sub = subs.filter(code=code).first()
    if sub is not None:
        return f"{sub.code}{sub.name}", list(build_table_specs([sub], label).values())
    category = Category.objects.filter(code=code).first()
    members = list(subs.filter(category=category)) if category else []
    if not members:
        raise TemplateError(f"没有代码为 {code} 的子类或大类（或已停用）")
    return f"{category.code}{category.name}", list(build_table_specs(members, label).values())


def build_template(
    specs: list[TableSpec], target, *, rows: int = DEFAULT_ROWS, data: Mapping[str, Iterable[Row]] | None = None
) -> None:
    """Write the template workbook of these subcategories into `target` (a path or a binary file object).

    Each sheet holds the rows of `data[code]` if given (pre-filled: values in item order, written as they come, so
    an iterator of any length costs no memory), then `rows` empty data rows; all of them pre-formatted and validated.
    """
    version = current_version()
    content_hash = version.content_hash if version else ""
    label = specs[0].catalog_version if specs else ""
    _TemplateWriter(target, specs, label, content_hash).write(rows, data or {})


def export_template(code: str, *, rows: int | None = None) -> tuple[str, bytes]:
    """The .xlsx template of a subcategory or category code: (file name, content). TemplateError when unknown.

    `rows` pre-formatted data rows per sheet; by default DEFAULT_ROWS for a subcategory, CATEGORY_ROWS for a category.
    """
    title, specs = template_specs(code)
    if rows is None:
        rows = DEFAULT_ROWS if len(specs) == 1 and specs[0].code == code else CATEGORY_ROWS
    buffer = io.BytesIO()
    build_template(specs, buffer, rows=rows)
    return f"{title}_采集模板.xlsx", buffer.getvalue()


_downloads: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
_downloads_lock = threading.Lock()
DOWNLOAD_CACHE_SIZE = 64


def cached_template(code: str) -> tuple[str, bytes]:
    """export_template(code) kept per catalog version (LRU of 64 workbooks): a category workbook takes seconds to
    build and every township downloads the same ones at the start of a campaign."""
    version = current_version()
    key = (code, version.content_hash if version else "")
    with _downloads_lock:
        if key in _downloads:
            _downloads.move_to_end(key)
            return _downloads[key]
    result = export_template(code)
    with _downloads_lock:
        _downloads[key] = result
        while len(_downloads) > DOWNLOAD_CACHE_SIZE:
            _downloads.popitem(last=False)
    return result


def read_template_meta(file) -> TemplateMeta | None:
    """The hidden metadata of a workbook made by this module (path or file object), or None when it has none.

    Tries the veryHidden `_meta` sheet, then the defined names, then the custom document properties.
    """
    workbook = load_workbook(file, read_only=False, data_only=True)
    if META_SHEET in workbook.sheetnames:
        ws = workbook[META_SHEET]
        pairs = {str(ws.cell(r, 1).value): str(ws.cell(r, 2).value or "") for r in range(1, META_TABLE_ROW)}
        if META_MARKER in pairs:
            sheets = {
                str(row[0]): str(row[1])
                for row in ws.iter_rows(min_row=META_TABLE_ROW + 1, max_col=2, values_only=True)
                if row[0] and row[1]
            }
            return TemplateMeta(pairs.get("catalog_version", ""), sheets, "_meta")
    return _meta_from_names(workbook)


def _meta_from_names(workbook: Workbook) -> TemplateMeta | None:
    if "GR_TEMPLATE" in workbook.defined_names:
        version = workbook.defined_names["GR_CATALOG_VERSION"].attr_text.strip('"')
        sheets = {
            ws.title: ws.defined_names["GR_SUBCATEGORY"].attr_text.strip('"')
            for ws in workbook.worksheets
            if "GR_SUBCATEGORY" in ws.defined_names
        }
        return TemplateMeta(version, sheets, "defined_names")
    props = {p.name: p.value for p in workbook.custom_doc_props}
    if "grassroots_subcategories" in props:
        codes = str(props["grassroots_subcategories"]).split(",")
        sheets = {ws.title: code for code in codes for ws in workbook.worksheets if ws.title.startswith(code)}
        return TemplateMeta(str(props.get("grassroots_catalog_version", "")), sheets, "properties")
    return None
