"""Intake: create, verify (idempotent, re-runnable), background task, cell fixes with history."""

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from collection import fixes, intake, staging, summaries
from collection.choices import BatchStatus
from collection.models import Batch, BatchIssue, StagedRow, StagedRowEdit
from tests.collection.batch_fixtures import (  # noqa: F401 (fixtures)
    BAD_ID,
    DATA,
    P0101_ROWS,
    intake_counts,
    media,
    p0101_with_bad_id,
    stored_files,
)
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")
MESSY = DATA / "sample_p0101_messy.xlsx"


def create(path, user=None, region=TOWNSHIP_A, **kwargs) -> list[Batch]:
    return intake.create_batches(path, original_name=path.name, region_code=region, user=user, **kwargs)


def verified(path, user=None) -> Batch:
    (batch,) = create(path, user)
    return intake.verify_batch(batch)


def snapshot(batch: Batch) -> tuple:
    rows = list(batch.staged_rows.order_by("row").values_list("row", "key", "is_valid", "values"))
    issues = list(batch.issues.order_by("row", "column_index", "rule").values_list("row", "item", "rule", "message"))
    return rows, issues


def test_create_batches_stores_the_file_once_and_leaves_the_batch_uploaded(collector_a):
    (batch,) = create(MESSY, collector_a)
    assert (batch.status, batch.subcategory_code, batch.header_row, batch.sheet_name) == (
        "uploaded",
        "P0101",
        3,
        "Sheet1",
    )
    assert batch.region_id == TOWNSHIP_A and batch.uploaded_by == collector_a
    assert batch.catalog_version is not None
    assert batch.column_map["id_number"] == {"header": "身份证号码", "index": 1}
    assert len(stored_files(django_settings.MEDIA_ROOT)) == 1


def test_the_same_file_uploaded_twice_is_stored_once():
    first, second = create(MESSY)[0], create(MESSY)[0]
    assert first.file.name == second.file.name
    assert len(stored_files(django_settings.MEDIA_ROOT)) == 1


def test_the_sheets_of_one_workbook_share_a_group_and_the_stored_file():
    batches = create(DATA / "sample_multi_sheet.xlsx", region="370602003")
    assert sorted(b.subcategory_code for b in batches) == ["P0101", "P0102"]
    assert len({b.group for b in batches}) == 1
    assert len({b.file.name for b in batches}) == 1


def test_verify_stores_every_row_and_issue_and_counts(collector_a):
    batch = verified(MESSY, collector_a)
    assert (batch.status, batch.rows, batch.invalid, batch.duplicates_in_file) == ("needs_fix", 120, 18, 1)
    assert batch.staged_rows.count() == 120
    assert batch.staged_rows.filter(is_valid=False).count() == 18
    assert batch.progress == 100 and batch.verify_seconds is not None and batch.finished_at
    assert batch.issues.filter(rule="unknown_column", severity="warning").exists()
    assert not batch.issues.filter(severity="error", staged_row=None).exists()
    assert batch.correction_summary["counts"] and batch.corrections == sum(batch.correction_summary["counts"].values())


def test_verifying_twice_gives_exactly_the_same_rows_and_issues():
    batch = verified(MESSY)
    first = snapshot(batch)
    intake.verify_batch(Batch.objects.get(pk=batch.pk))
    assert snapshot(batch) == first
    assert BatchIssue.objects.count() == len(first[1])  # nothing left over from the first run


def test_a_batch_whose_worker_died_half_way_is_rerun_from_its_stored_file():
    batch = verified(MESSY)
    expected = snapshot(batch)
    batch.staged_rows.filter(row__gt=60).delete()
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.VERIFYING, progress=40)
    rerun = intake.verify_batch(Batch.objects.get(pk=batch.pk))
    assert snapshot(rerun) == expected
    assert (rerun.status, rerun.progress, rerun.rows) == ("needs_fix", 100, 120)


def test_a_clean_file_ends_pending_review():
    assert verified(DATA / "sample_p0101_clean.xlsx").status == BatchStatus.PENDING_REVIEW


def test_a_stored_file_that_vanished_marks_the_batch_rejected_in_chinese():
    (batch,) = create(MESSY)
    batch.__dict__.pop("_opened")
    batch.file.storage.delete(batch.file.name)
    batch = intake.verify_batch(batch)
    assert batch.status == BatchStatus.REJECTED
    assert "重新上传" in batch.error_message


def test_a_collector_of_another_township_may_not_create_batches_and_nothing_is_stored(collector_b):
    with pytest.raises(intake.IntakeRefused) as refused:
        create(MESSY, collector_b)
    assert refused.value.code == "forbidden_region"
    assert intake_counts()["Batch"] == 0 and stored_files(django_settings.MEDIA_ROOT) == []


def test_an_uploaded_file_object_goes_through_the_same_pipeline(collector_a):
    upload = SimpleUploadedFile("户籍.xlsx", MESSY.read_bytes())
    (batch,) = intake.submit_upload(upload, original_name="户籍.xlsx", region_code=TOWNSHIP_A, user=collector_a)
    assert (batch.status, batch.rows, batch.original_name) == ("needs_fix", 120, "户籍.xlsx")
    assert batch.size_bytes == MESSY.stat().st_size


# A real transaction: the worker closes old connections between tasks, as it does in production.
@pytest.mark.django_db(transaction=True)
def test_a_large_upload_is_verified_by_the_background_worker(collector_a, settings, django_capture_on_commit_callbacks):
    settings.UPLOAD_INLINE_MAX_BYTES = 0
    upload = SimpleUploadedFile("户籍.xlsx", MESSY.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        (batch,) = intake.submit_upload(upload, original_name="户籍.xlsx", region_code=TOWNSHIP_A, user=collector_a)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.UPLOADED and batch.task_id
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    batch.refresh_from_db()
    assert (batch.status, batch.rows, batch.invalid) == ("needs_fix", 120, 18)


# ----------------------------------------------------------------------------- fixing cells


@pytest.fixture
def bad_id_batch(tmp_path, collector_a) -> Batch:
    return verified(p0101_with_bad_id(tmp_path / "户籍.xlsx"), collector_a)


def test_fixing_the_wrong_cell_makes_the_row_valid_and_the_batch_ready_for_review(bad_id_batch, collector_a):
    assert (bad_id_batch.status, bad_id_batch.invalid) == ("needs_fix", 1)
    row = bad_id_batch.staged_rows.get(row=4)
    assert row.issues.filter(item="id_number", rule="checksum").exists()
    fixes.fix_cell(row, "id_number", P0101_ROWS[2][1], acting_user=collector_a)
    row.refresh_from_db()
    bad_id_batch.refresh_from_db()
    assert row.is_valid and row.key == P0101_ROWS[2][1] and not row.issues.exists()
    assert (bad_id_batch.status, bad_id_batch.valid, bad_id_batch.invalid) == ("pending_review", 3, 0)


def test_a_fix_is_recorded_with_who_what_and_the_old_value(bad_id_batch, collector_a):
    row = bad_id_batch.staged_rows.get(row=4)
    fixes.fix_cell(row, "id_number", f" {P0101_ROWS[2][1]} ", acting_user=collector_a)
    edit = StagedRowEdit.objects.get()
    assert (edit.item, edit.old_value, edit.new_value) == ("id_number", BAD_ID, P0101_ROWS[2][1])
    assert edit.edited_by == collector_a and edit.entered == f" {P0101_ROWS[2][1]} "


def test_a_fix_that_breaks_a_valid_row_sends_the_batch_back_to_needs_fix(tmp_path, collector_a):
    from tests.collection.batch_fixtures import write_xlsx

    batch = verified(write_xlsx(tmp_path / "户籍.xlsx", P0101_ROWS), collector_a)
    assert batch.status == BatchStatus.PENDING_REVIEW
    fixes.fix_cell(batch.staged_rows.get(row=2), "sex", "不知道", acting_user=collector_a)
    batch.refresh_from_db()
    assert (batch.status, batch.invalid) == ("needs_fix", 1)
    assert batch.issues.filter(row=2, item="sex", rule="code").exists()


def test_a_fix_duplicating_another_rows_key_is_a_duplicate_in_file(bad_id_batch, collector_a):
    row = bad_id_batch.staged_rows.get(row=4)
    fixes.fix_cell(row, "id_number", P0101_ROWS[0][1], acting_user=collector_a)
    issue = row.issues.get(rule="duplicate_in_file")
    assert "2" in issue.message
    bad_id_batch.refresh_from_db()
    assert (bad_id_batch.invalid, bad_id_batch.duplicates_in_file) == (1, 1)


def test_fixing_is_refused_to_another_township_and_after_merging(bad_id_batch, collector_b, collector_a):
    row = bad_id_batch.staged_rows.get(row=4)
    with pytest.raises(fixes.FixRefused):
        fixes.fix_cell(row, "id_number", P0101_ROWS[2][1], acting_user=collector_b)
    Batch.objects.filter(pk=bad_id_batch.pk).update(status=BatchStatus.MERGED)
    row = StagedRow.objects.get(pk=row.pk)
    with pytest.raises(fixes.FixRefused):
        fixes.fix_cell(row, "id_number", P0101_ROWS[2][1], acting_user=collector_a)


def test_an_item_outside_the_subcategory_cannot_be_fixed(bad_id_batch, collector_a):
    with pytest.raises(fixes.FixRefused):
        fixes.fix_cell(bad_id_batch.staged_rows.get(row=4), "uscc", "x", acting_user=collector_a)


def test_summary_has_exactly_the_cli_keys(bad_id_batch):
    summary = summaries.summary(bad_id_batch)
    assert set(summary) == {*summaries.SUMMARY_KEYS, "issues", "sheet", "header_row"}
    assert summary["issues"][0] == {
        "row": 4, "column": "公民身份号码", "item": "id_number", "rule": "checksum", "severity": "error",
        "message": summary["issues"][0]["message"], "value": BAD_ID,
    }  # fmt: skip


def test_collector_b_sees_nothing_of_a_batch_of_township_a(bad_id_batch, collector_b):
    assert not Batch.objects.restrict(collector_b).exists()
    assert bad_id_batch.region_id != TOWNSHIP_B


def test_rows_as_json_is_the_json_of_each_rows_values():
    import json

    import pandas as pd

    frame = pd.DataFrame(
        {
            "name": pd.Series(['张"三', "李\\四\n", None, "=1+1"], dtype=object),
            "flag": pd.Series([True, False, None, True], dtype=object),
            "_row": [2, 3, 4, 5],
            "_valid": [True, True, False, True],
            "_key": pd.Series(["a", None, None, "d"], dtype=object),
        }
    )
    expected = [values for _row, values, _key, _ok in staging.chunk_records(frame)]
    assert [json.loads(text) for text in staging.rows_as_json(frame)] == expected
    assert expected[0] == {"name": '张"三', "flag": True} and expected[2] == {"name": None, "flag": None}


def test_a_merged_batch_is_never_verified_again():
    batch = verified(MESSY)
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.MERGED)
    with pytest.raises(ValueError):
        intake.verify_batch(Batch.objects.get(pk=batch.pk))
    assert batch.staged_rows.count() == 120


@pytest.fixture
def duplicate_batch(tmp_path, collector_a) -> Batch:
    """Rows 2, 3 and 4 where row 4 repeats row 2's ID (so row 4 is a duplicate_in_file of row 2)."""
    from tests.collection.batch_fixtures import write_xlsx

    rows = [list(P0101_ROWS[0]), list(P0101_ROWS[1]), list(P0101_ROWS[0])]
    rows[2][0] = "宋诚士二"
    batch = verified(write_xlsx(tmp_path / "户籍.xlsx", rows), collector_a)
    assert batch.issues.get(rule="duplicate_in_file").row == 4
    return batch


def test_fixing_another_cell_of_the_first_row_of_a_duplicate_pair_keeps_it_clean(duplicate_batch, collector_a):
    first = fixes.fix_cell(duplicate_batch.staged_rows.get(row=2), "phone", "13912345678", acting_user=collector_a)
    assert first.is_valid and not first.issues.exists()
    assert duplicate_batch.issues.get(rule="duplicate_in_file").row == 4


def test_changing_the_first_rows_key_releases_the_later_duplicate(duplicate_batch, collector_a):
    fixes.fix_cell(duplicate_batch.staged_rows.get(row=2), "id_number", OTHER_ID, acting_user=collector_a)
    duplicate_batch.refresh_from_db()
    assert not duplicate_batch.issues.filter(rule="duplicate_in_file").exists()
    assert duplicate_batch.staged_rows.get(row=4).is_valid
    assert (duplicate_batch.status, duplicate_batch.invalid, duplicate_batch.duplicates_in_file) == (
        "pending_review", 0, 0,
    )  # fmt: skip


def test_fixing_the_later_duplicate_to_a_new_key_makes_it_valid(duplicate_batch, collector_a):
    row = fixes.fix_cell(duplicate_batch.staged_rows.get(row=4), "id_number", OTHER_ID, acting_user=collector_a)
    assert row.is_valid and not row.issues.exists()


OTHER_ID = "370602195709180136"  # another man born 1957-09-18, like row 2
