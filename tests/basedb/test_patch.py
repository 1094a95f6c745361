"""Verify-and-patch workbooks: a township's records come back pre-filled; only real changes are merged and versioned."""

import io
from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from basedb.models import Record, RecordVersion
from basedb.patch import SPARE_ROWS, export_patch_workbook
from catalog.templates_xlsx import FIRST_DATA_ROW, read_template_meta
from collection import intake, summaries
from collection.choices import BatchStatus
from collection.review import approve_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

DATA = "tests/data/sample_p0101_clean.xlsx"

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def export(user, region: str = TOWNSHIP_A, code: str = "P0101") -> tuple[str, bytes]:
    """The 核对表 as the download view writes it: (file name, xlsx bytes)."""
    buffer = io.BytesIO()
    name = export_patch_workbook(code, region, buffer, user=user)
    return name, buffer.getvalue()


def sheet(content: bytes) -> str:
    return next(iter(read_template_meta(io.BytesIO(content)).sheets))


def upload(path_or_file, name: str, user):
    (batch,) = intake.create_batches(path_or_file, original_name=name, region_code=TOWNSHIP_A, user=user)
    return intake.verify_batch(batch)


@pytest.fixture
def merged(collector_a, officer_a):
    batch = upload(DATA, "clean.xlsx", collector_a)
    assert batch.status == BatchStatus.PENDING_REVIEW, batch.status
    approve_batch(batch, acting_user=officer_a)
    return Record.objects.filter(region_id=TOWNSHIP_A).count()


def test_the_patch_workbook_is_the_template_with_the_townships_records(merged, collector_a):
    name, content = export(collector_a)
    assert name.endswith(".xlsx")
    assert read_template_meta(io.BytesIO(content)).sheets
    ws = load_workbook(io.BytesIO(content))[sheet(content)]
    filled = [r for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + merged + 5) if ws.cell(r, 1).value]
    assert len(filled) == merged > 2


def test_a_collector_of_another_township_cannot_download_it(merged, collector_b):
    with pytest.raises(PermissionDenied):
        export(collector_b)


def test_downloading_changing_two_cells_and_approving_updates_two_and_leaves_the_rest(
    merged, collector_a, officer_a, tmp_path
):
    _name, content = export(collector_a)
    workbook = load_workbook(io.BytesIO(content))
    ws = workbook[sheet(content)]
    headers = [c.value for c in ws[1]]
    phone = next(i for i, h in enumerate(headers, start=1) if h and "电话" in h)
    ws.cell(FIRST_DATA_ROW, phone).value = "13900000001"
    ws.cell(FIRST_DATA_ROW + 1, phone).value = "13900000002"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "patch.xlsx"
    with open(path, "wb") as f:
        f.write(buffer.getvalue())
    batch = upload(path, "核对表.xlsx", collector_a)
    assert batch.invalid == 0, summaries.summary(batch)["issues"][:3]
    versions = RecordVersion.objects.count()
    result = approve_batch(batch, acting_user=officer_a)
    assert (result.created, result.updated, result.unchanged) == (0, 2, merged - 2)
    assert RecordVersion.objects.count() == versions + 2


def test_an_untouched_patch_workbook_changes_nothing(merged, collector_a, officer_a, tmp_path):
    _name, content = export(collector_a)
    path = tmp_path / "patch_same.xlsx"
    with open(path, "wb") as f:
        f.write(content)
    result = approve_batch(upload(path, "核对表.xlsx", collector_a), acting_user=officer_a)
    assert (result.created, result.updated, result.unchanged) == (0, 0, merged)


def test_other_townships_records_are_not_in_the_workbook(merged, collector_a):
    Record.objects.update(region_id=TOWNSHIP_B)
    _name, content = export(collector_a)
    ws = load_workbook(io.BytesIO(content))[sheet(content)]
    assert ws.cell(FIRST_DATA_ROW, 1).value is None


# Text that XML, Excel or the intake could mangle on the way out and back: a formula, markup, an escape-like code.
AWKWARD_REMARKS = ["=1+1", "-5 & <b>粗</b>", "_x0041_ 编码", "@人员"]


def test_a_townships_untouched_patch_workbook_verifies_clean_and_merges_every_row_unchanged(
    merged, collector_a, officer_a, tmp_path
):
    for record, text in zip(Record.objects.filter(region_id=TOWNSHIP_A).order_by("id"), AWKWARD_REMARKS, strict=False):
        record.values = {**record.values, "remarks": text}
        record.save(update_fields=["values"])
    path = tmp_path / "核对表.xlsx"
    path.write_bytes(export(collector_a)[1])
    batch = upload(path, "核对表.xlsx", collector_a)
    counts = summaries.issue_counts(batch)
    assert (batch.rows, batch.invalid, counts["errors"]) == (merged, 0, 0), summaries.summary(batch)["issues"][:3]
    versions = RecordVersion.objects.count()
    result = approve_batch(batch, acting_user=officer_a)
    assert (result.created, result.updated, result.unchanged) == (0, 0, merged)
    assert RecordVersion.objects.count() == versions


def test_the_patch_workbook_writes_dates_as_dates_and_text_never_as_a_formula(merged, collector_a):
    first = Record.objects.filter(region_id=TOWNSHIP_A).order_by("id").first()
    first.values = {**first.values, "remarks": '=HYPERLINK("http://x")'}
    first.save(update_fields=["values"])
    content = export(collector_a)[1]
    ws = load_workbook(io.BytesIO(content))[sheet(content)]
    columns = {str(c.value).lstrip("*"): c.column for c in ws[1]}
    born, remarks = ws.cell(FIRST_DATA_ROW, columns["出生日期"]), ws.cell(FIRST_DATA_ROW, columns["备注"])
    assert born.value == datetime.fromisoformat(first.values["birth_date"]) and born.number_format == "yyyy-mm-dd"
    assert (remarks.value, remarks.data_type, remarks.quotePrefix) == ('=HYPERLINK("http://x")', "s", True)
    id_number = ws.cell(FIRST_DATA_ROW, columns["公民身份号码"])
    assert (id_number.value, id_number.number_format) == (first.values["id_number"], "@")


def test_the_patch_workbook_keeps_the_templates_drop_downs_formats_and_metadata(merged, collector_a):
    content = export(collector_a)[1]
    meta = read_template_meta(io.BytesIO(content))
    assert (meta.source, meta.sheets) == ("_meta", {"P0101户籍人口": "P0101"})
    wb = load_workbook(io.BytesIO(content))
    ws = wb["P0101户籍人口"]
    assert wb["_meta"].sheet_state == "veryHidden" and wb.defined_names["GR_SUBCATEGORIES"].attr_text == '"P0101"'
    assert ws.defined_names["GR_SUBCATEGORY"].attr_text == '"P0101"'
    assert wb.custom_doc_props["grassroots_subcategories"].value == "P0101"
    last = FIRST_DATA_ROW + merged + SPARE_ROWS - 1  # the records, then the empty formatted rows
    drop_downs = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert drop_downs[f"C{FIRST_DATA_ROW}:C{last}"].startswith('"未知的性别,男性')
    assert drop_downs[f"D{FIRST_DATA_ROW}:D{last}"].startswith("_lists!$A$2")  # 民族: on the hidden list sheet
    assert wb["_lists"].sheet_state == "hidden" and wb["_lists"]["A2"].value == "汉族"
    assert ws.cell(last, 2).number_format == "@" and ws.cell(last, 5).number_format == "yyyy-mm-dd"
    assert ws.cell(last, 2).value is None and ws.freeze_panes == "A2" and "必填" in ws["A1"].comment.text
