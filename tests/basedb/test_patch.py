"""Verify-and-patch workbooks: a township's records come back pre-filled; only real changes are merged and versioned."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from basedb.models import Record, RecordVersion
from basedb.patch import export_patch_workbook
from catalog.templates_xlsx import FIRST_DATA_ROW, read_template_meta
from collection import intake, summaries
from collection.choices import BatchStatus
from collection.review import approve_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

DATA = "tests/data/sample_p0101_clean.xlsx"

pytestmark = pytest.mark.usefixtures("catalog", "regions")


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
    name, content = export_patch_workbook("P0101", TOWNSHIP_A, user=collector_a)
    assert name.endswith(".xlsx")
    assert read_template_meta(io.BytesIO(content)).sheets
    ws = load_workbook(io.BytesIO(content))[sheet(content)]
    filled = [r for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + merged + 5) if ws.cell(r, 1).value]
    assert len(filled) == merged > 2


def test_a_collector_of_another_township_cannot_download_it(merged, collector_b):
    with pytest.raises(PermissionDenied):
        export_patch_workbook("P0101", TOWNSHIP_A, user=collector_b)


def test_downloading_changing_two_cells_and_approving_updates_two_and_leaves_the_rest(
    merged, collector_a, officer_a, tmp_path
):
    _name, content = export_patch_workbook("P0101", TOWNSHIP_A, user=collector_a)
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
    _name, content = export_patch_workbook("P0101", TOWNSHIP_A, user=collector_a)
    path = tmp_path / "patch_same.xlsx"
    with open(path, "wb") as f:
        f.write(content)
    result = approve_batch(upload(path, "核对表.xlsx", collector_a), acting_user=officer_a)
    assert (result.created, result.updated, result.unchanged) == (0, 0, merged)


def test_other_townships_records_are_not_in_the_workbook(merged, collector_a):
    Record.objects.update(region_id=TOWNSHIP_B)
    _name, content = export_patch_workbook("P0101", TOWNSHIP_A, user=collector_a)
    ws = load_workbook(io.BytesIO(content))[sheet(content)]
    assert ws.cell(FIRST_DATA_ROW, 1).value is None
