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
from copy import copy
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from grassroots.xlsx import put_value, sheet_title

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
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
RED, BLACK = "C00000", "000000"


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


class _TemplateWriter:
    """Writes one workbook; drop-down lists are shared between sheets on the hidden _lists sheet."""

    def __init__(self, specs: list[TableSpec], rows: int, version: str, content_hash: str):
        self.specs, self.rows, self.version, self.content_hash = specs, rows, version, content_hash
        self.workbook = Workbook()
        self.lists: Worksheet | None = None
        self.list_ranges: dict[str, str] = {}

    def write(self) -> Workbook:
        self.write_instructions(self.workbook.active)
        for spec in self.specs:
            self.write_sheet(self.workbook.create_sheet(table_sheet_title(spec)), spec)
        self.write_meta()
        if self.lists is not None:  # created on first need; hidden sheets go after the data sheets
            self.workbook.move_sheet(
                self.lists, offset=len(self.workbook.sheetnames) - 2 - self.workbook.index(self.lists)
            )
        self.workbook.active = 1
        return self.workbook

    # --- the instructions sheet ---------------------------------------------------------------------------------
    def write_instructions(self, ws: Worksheet) -> None:
        ws.title = INSTRUCTIONS_SHEET
        put_value(ws.cell(1, 1), "烟台市基层基础数据采集模板 · 填表说明").font = Font(bold=True, size=14)
        put_value(
            ws.cell(2, 1),
            f"目录版本 {self.version}。带 {REQUIRED_MARK} 的列为必填（红色表头）。请在各子类工作表的第 2 行起逐行填写，"
            "不要修改表头、不要删除或改名工作表；身份证号、代码等列已设为文本格式，请直接填写。",
        )
        headers = ["工作表", "列", "表头", "必填", "类型", "填写要求", "可选值", "示例", "说明"]
        for col, text in enumerate(headers, start=1):
            cell = put_value(ws.cell(4, col), text)
            cell.font, cell.fill = Font(bold=True), HEADER_FILL
        row = 5
        for spec in self.specs:
            for col, item in enumerate(spec.items, start=1):
                values = [
                    table_sheet_title(spec),
                    get_column_letter(col),
                    header_text(item),
                    "是" if item.required else "否",
                    type_label(item),
                    "；".join(describe_rules(item)),
                    describe_values(item),
                    template_example(item),
                    item.help_text,
                ]
                for c, value in enumerate(values, start=1):
                    put_value(ws.cell(row, c), value)
                row += 1
            names = {i.key: i.name for i in spec.items}
            for rule in spec.cross_rules:
                put_value(ws.cell(row, 1), table_sheet_title(spec))
                put_value(ws.cell(row, 6), f"跨字段校验：{describe_cross_rule(rule, names)}")
                row += 1
        for col, width in enumerate([24, 6, 22, 6, 16, 40, 40, 22, 30], start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = "A5"

    # --- one data sheet per subcategory -------------------------------------------------------------------------
    def write_sheet(self, ws: Worksheet, spec: TableSpec) -> None:
        for col, item in enumerate(spec.items, start=1):
            cell = put_value(ws.cell(HEADER_ROW, col), header_text(item))
            cell.font = Font(bold=True, color=RED if item.required else BLACK)
            cell.fill, cell.alignment = HEADER_FILL, Alignment(horizontal="center", vertical="center")
            cell.comment = Comment(header_comment(item), "基层数据归集平台", width=320, height=160)
            self.format_column(ws, col, item)
            self.add_validation(ws, col, item)
        ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1)
        ws.defined_names["GR_SUBCATEGORY"] = DefinedName("GR_SUBCATEGORY", attr_text=f'"{spec.code}"')

    def format_column(self, ws: Worksheet, col: int, item: ItemSpec) -> None:
        letter = get_column_letter(col)
        kind = ElementType.TEXT if item.type in TEXT_TYPES else item.type
        number_format = "@" if kind == ElementType.TEXT else NUMBER_FORMATS.get(kind)
        width = max(display_width(header_text(item)) + 4, MIN_WIDTHS.get(item.key_type or item.type, 10))
        ws.column_dimensions[letter].width = min(width, 50)
        if number_format is None:
            return
        # The column style covers rows typed beyond the pre-formatted ones; the cells cover paste and fill-down.
        ws.column_dimensions[letter].number_format = number_format
        first = ws.cell(FIRST_DATA_ROW, col)
        first.number_format = number_format
        cells = ws._cells  # bulk: one shared style array instead of a style lookup per cell
        for row in range(FIRST_DATA_ROW + 1, FIRST_DATA_ROW + self.rows):
            cells[(row, col)] = Cell(ws, row=row, column=col, style_array=copy(first._style))

    def add_validation(self, ws: Worksheet, col: int, item: ItemSpec) -> None:
        if item.type == ElementType.BOOLEAN:
            labels = ["是", "否"]
        elif item.code_table is not None and item.code_table.labels:
            labels = list(item.code_table.labels.values())
        else:
            return
        validation = DataValidation(
            type="list",
            formula1=self.list_formula(item, labels),
            allow_blank=True,
            errorStyle="warning",
            errorTitle="不在下拉列表中",
            error="请从下拉列表中选择；常见简写（如“男”“汉”“本科”）也可接受，上传时会核验。",
            showErrorMessage=True,
        )
        letter = get_column_letter(col)
        validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{FIRST_DATA_ROW + self.rows - 1}")
        ws.add_data_validation(validation)

    def list_formula(self, item: ItemSpec, labels: list[str]) -> str:
        inline = ",".join(labels)
        if len(inline) <= INLINE_LIST_MAX and not any('"' in v or "," in v for v in labels):
            return f'"{inline}"'
        key = item.code_table.code if item.code_table else item.type
        if key not in self.list_ranges:
            if self.lists is None:
                self.lists = self.workbook.create_sheet(LISTS_SHEET)
                self.lists.sheet_state = "hidden"
            col = len(self.list_ranges) + 1
            put_value(self.lists.cell(1, col), item.code_table.name if item.code_table else item.name)
            for row, label in enumerate(labels, start=2):
                put_value(self.lists.cell(row, col), label)
            letter = get_column_letter(col)
            self.list_ranges[key] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(labels) + 1}"
        return self.list_ranges[key]

    # --- hidden metadata ----------------------------------------------------------------------------------------
    def write_meta(self) -> None:
        ws = self.workbook.create_sheet(META_SHEET)
        ws.sheet_state = "veryHidden"
        codes = ",".join(s.code for s in self.specs)
        pairs = [
            (META_MARKER, TEMPLATE_FORMAT),
            ("catalog_version", self.version),
            ("content_hash", self.content_hash),
            ("generated_at", timezone.now().isoformat(timespec="seconds")),
            ("subcategories", codes),
            ("header_row", str(HEADER_ROW)),
        ]
        for row, (key, value) in enumerate(pairs, start=1):
            put_value(ws.cell(row, 1), key)
            put_value(ws.cell(row, 2), value)
        for col, text in enumerate(["sheet", "subcategory", "name", "keys"], start=1):
            put_value(ws.cell(META_TABLE_ROW, col), text)
        for row, spec in enumerate(self.specs, start=META_TABLE_ROW + 1):
            values = [table_sheet_title(spec), spec.code, spec.name, ",".join(i.key for i in spec.items)]
            for col, value in enumerate(values, start=1):
                put_value(ws.cell(row, col), value)
        names = {"GR_TEMPLATE": TEMPLATE_FORMAT, "GR_CATALOG_VERSION": self.version, "GR_SUBCATEGORIES": codes}
        for name, value in names.items():
            self.workbook.defined_names[name] = DefinedName(name, attr_text=f'"{value}"')
        props = self.workbook.custom_doc_props
        props.append(StringProperty(name="grassroots_catalog_version", value=self.version))
        props.append(StringProperty(name="grassroots_subcategories", value=codes))


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


def build_template(specs: list[TableSpec], *, rows: int = DEFAULT_ROWS) -> Workbook:
    """A template workbook for these subcategories, `rows` data rows pre-formatted and validated per sheet."""
    version = current_version()
    content_hash = version.content_hash if version else ""
    label = specs[0].catalog_version if specs else ""
    return _TemplateWriter(specs, rows, label, content_hash).write()


def export_template(code: str, *, rows: int | None = None) -> tuple[str, bytes]:
    """The .xlsx template of a subcategory or category code: (file name, content). TemplateError when unknown.

    `rows` pre-formatted data rows per sheet; by default DEFAULT_ROWS for a subcategory, CATEGORY_ROWS for a category.
    """
    title, specs = template_specs(code)
    if rows is None:
        rows = DEFAULT_ROWS if len(specs) == 1 and specs[0].code == code else CATEGORY_ROWS
    buffer = io.BytesIO()
    build_template(specs, rows=rows).save(buffer)
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
