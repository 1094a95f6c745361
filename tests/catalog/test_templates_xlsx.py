"""Excel templates: headers, text-formatted ID columns, drop-downs, instructions, hidden metadata — for the pinned
subcategory in detail and for every active subcategory of the real catalog."""

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from catalog.describe import TEXT_TYPES
from catalog.loader import load_catalog
from catalog.models import Category, Subcategory
from catalog.specs_build import build_table_spec, clear_spec_cache
from catalog.templates_xlsx import (
    INSTRUCTIONS_SHEET,
    META_SHEET,
    TemplateError,
    build_template,
    cached_template,
    export_template,
    header_comment,
    read_template_meta,
    template_specs,
)

from .conftest import SMALL, write_source

pytestmark = pytest.mark.django_db


def open_template(code: str, **kwargs):
    _, content = export_template(code, **kwargs)
    return load_workbook(io.BytesIO(content))


def validations_by_column(ws) -> dict[str, str]:
    return {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1 for dv in ws.data_validations.dataValidation}


def check_sheet(ws, spec) -> None:
    """The sheet's headers are the items (required marked), text columns are text, code columns have drop-downs."""
    assert [c.value for c in ws[1]] == [("*" if i.required else "") + i.name for i in spec.items]
    drop_downs = validations_by_column(ws)
    for col, item in enumerate(spec.items, start=1):
        letter = ws.cell(1, col).column_letter
        if item.type in TEXT_TYPES:
            assert ws.cell(2, col).number_format == "@", (spec.code, item.key)
        if item.code_table is not None or item.type == "boolean":
            assert letter in drop_downs, (spec.code, item.key)
    assert ws.freeze_panes == "A2"


def test_the_p0101_template_has_marked_headers_text_ids_and_drop_downs(catalog, tmp_path):
    call_command("export_template", "P0101", "-o", str(tmp_path / "p.xlsx"))
    wb = load_workbook(tmp_path / "p.xlsx")
    assert wb.sheetnames[0] == INSTRUCTIONS_SHEET
    ws = wb["P0101户籍人口"]
    check_sheet(ws, build_table_spec("P0101"))
    assert ws["A1"].value == "*姓名" and ws["A1"].font.color.rgb.endswith("C00000")
    assert ws["D1"].value == "民族" and not ws["D1"].font.color.rgb.endswith("C00000")
    assert ws["B2"].number_format == ws["B2001"].number_format == "@"
    assert ws["E2"].number_format == "yyyy-mm-dd" and "yyyy-mm-dd" in ws["E1"].comment.text
    assert "男性" in validations_by_column(ws)["C"]


def test_long_code_lists_live_on_a_hidden_sheet(catalog):
    wb = open_template("P0101", rows=5)
    ethnicity = validations_by_column(wb["P0101户籍人口"])["D"]
    lists_sheet, cells = ethnicity.split("!")
    lists = wb[lists_sheet.strip("'")]
    assert lists.sheet_state == "hidden"
    column = cells.replace("$", "").split(":")[0][0]
    values = [c.value for c in lists[column][1:]]
    assert "汉族" in values and len(values) >= 56


def test_the_metadata_names_the_subcategory_and_version(catalog):
    wb = open_template("P0101", rows=5)
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb.defined_names["GR_SUBCATEGORIES"].attr_text == '"P0101"'
    assert wb["P0101户籍人口"].defined_names["GR_SUBCATEGORY"].attr_text == '"P0101"'
    assert wb.custom_doc_props["grassroots_catalog_version"].value == catalog.version
    _, content = export_template("P0101", rows=5)
    meta = read_template_meta(io.BytesIO(content))
    assert (meta.catalog_version, meta.sheets, meta.source) == (catalog.version, {"P0101户籍人口": "P0101"}, "_meta")


def test_metadata_falls_back_to_defined_names_when_the_meta_sheet_is_lost(catalog):
    wb = open_template("P01", rows=5)
    del wb[META_SHEET]
    buffer = io.BytesIO()
    wb.save(buffer)
    meta = read_template_meta(io.BytesIO(buffer.getvalue()))
    assert meta.source == "defined_names"
    assert meta.sheets["P0101户籍人口"] == "P0101" and meta.catalog_version == catalog.version


def test_the_instructions_sheet_lists_every_column_with_an_example(catalog):
    ws = open_template("P0101", rows=5)[INSTRUCTIONS_SHEET]
    rows = {r[2]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[2]}
    notes = [r[5] for r in ws.iter_rows(min_row=5, values_only=True) if not r[2]]
    assert "跨字段校验：性别须与公民身份号码中的性别一致" in notes
    assert rows["*公民身份号码"][3:5] == ("是", "公民身份号码")
    assert rows["*公民身份号码"][7] == "370602199001011239"
    assert "男性" in rows["*性别"][6]
    assert len(rows) == len(build_table_spec("P0101").items)


def test_a_category_template_has_one_sheet_per_active_subcategory(catalog):
    title, specs = template_specs("P01")
    codes = list(Subcategory.objects.filter(category__code="P01", is_active=True).values_list("code", flat=True))
    assert title == "P01常住人口" and [s.code for s in specs] == codes
    meta = read_template_meta(io.BytesIO(export_template("P01", rows=3)[1]))
    assert meta.sheets == {f"{s.code}{s.name}"[:31]: s.code for s in specs}


def test_an_unknown_code_has_no_template(catalog):
    with pytest.raises(TemplateError, match="X9"):
        export_template("X9")


def test_formula_like_help_text_is_written_as_text(empty_catalog, tmp_path):
    h = SMALL["domains/H.yaml"].replace("help: 写到门牌号", "help: '=HYPERLINK(\"http://x\")'")
    clear_spec_cache()
    load_catalog(write_source(tmp_path / "c", {**SMALL, "domains/H.yaml": h}))
    wb = open_template("H0101", rows=3)
    cells = [c for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)
    assert "=HYPERLINK" in wb["H0101房屋基本信息"]["B1"].comment.text
    clear_spec_cache()


def test_templates_of_every_active_subcategory_reopen_with_their_items(catalog):
    for category in Category.objects.all():
        _, specs = template_specs(category.code) if category.subcategories.filter(is_active=True) else ("", [])
        if not specs:
            continue
        buffer = io.BytesIO()
        build_template(specs, buffer, rows=3)
        wb = load_workbook(io.BytesIO(buffer.getvalue()))
        meta = read_template_meta(io.BytesIO(buffer.getvalue()))
        assert set(meta.sheets.values()) == {s.code for s in specs}
        for title, code in meta.sheets.items():
            check_sheet(wb[title], next(s for s in specs if s.code == code))
    for code in Subcategory.objects.filter(is_active=True).values_list("code", flat=True):
        assert read_template_meta(io.BytesIO(export_template(code, rows=2)[1])).sheets.popitem()[1] == code


def test_downloads_are_reused_until_the_catalog_changes(catalog, small_source, django_assert_max_num_queries):
    first = cached_template("P0101")
    with django_assert_max_num_queries(1):
        assert cached_template("P0101") is first
    load_catalog(small_source)  # another content hash: a fresh workbook
    assert cached_template("P0101") is not first


def test_examples_skip_placeholder_values_and_the_drop_down_keeps_code_order(catalog):
    wb = open_template("P0101", rows=5)
    rows = {r[2]: r for r in wb[INSTRUCTIONS_SHEET].iter_rows(min_row=5, values_only=True) if r[2]}
    assert rows["*性别"][7] == "男性"
    spec = build_table_spec("P0101")
    sex = next(i for i in spec.items if i.name == "性别")
    assert "示例：男性" in header_comment(sex)
    assert next(iter(sex.code_table.labels.values())) == "未知的性别"
    ws = wb[wb.sheetnames[1]]
    column = next(c.column_letter for c in ws[1] if c.value and str(c.value).lstrip("*") == "性别")
    assert validations_by_column(ws)[column].startswith('"未知的性别,男性')
