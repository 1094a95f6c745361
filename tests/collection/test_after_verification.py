"""What verify_batch starts after verifying: probable-duplicate warnings, the cached report of large batches."""

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from basedb.merge import merge_batch
from collection import intake
from collection.models import Batch
from tests.basedb.conftest import staged_batch
from tests.collection.batch_fixtures import (  # noqa: F401 (fixtures)
    DATA,
    media,
    write_xlsx,
)
from tests.conftest import TOWNSHIP_A

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")
VISIT_HEADERS = ["走访对象", "走访日期", "走访地址"]


def verify(path, subcategory=None) -> Batch:
    (batch,) = intake.create_batches(path, original_name=path.name, region_code=TOWNSHIP_A, subcategory=subcategory)
    return intake.verify_batch(batch)


def test_a_weakly_keyed_batch_gets_probable_duplicate_warnings(tmp_path, officer_a):
    existing = staged_batch(TOWNSHIP_A, [{"party_name": "张三丰", "visit_date": "2025-03-01", "address": "东山路18号"}],
                            subcategory="S0105")  # fmt: skip
    existing.staged_rows.update(key="张三丰|2025-03-01|东山路18号")
    merge_batch(existing, acting_user=officer_a)
    rows = [["张三峰", "2025-03-01", "东山路18号"], ["李四", "2025-03-01", "东山路18号"]]
    batch = verify(write_xlsx(tmp_path / "走访.xlsx", rows, VISIT_HEADERS, sheet="入户走访记录"), "S0105")
    assert (batch.status, batch.valid) == ("pending_review", 2)
    [issue] = batch.issues.filter(rule="conflict")
    assert (issue.row, issue.severity) == (2, "warning")
    assert issue.message.startswith("疑似重复")


def test_a_strongly_keyed_batch_gets_no_probable_duplicate_warning(tmp_path):
    batch = verify(DATA / "sample_p0101_clean.xlsx")
    assert not batch.issues.filter(rule="conflict").exists()


def report_files(batch: Batch) -> list[str]:
    try:
        return default_storage.listdir(f"reports/batch-{batch.pk}")[1]
    except FileNotFoundError:
        return []


def test_a_small_batch_report_is_not_built_in_advance(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = verify(DATA / "sample_p0101_messy.xlsx")
    assert not callbacks and report_files(batch) == []


# A real transaction: the worker runs the queued tasks from the database, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_large_batch_report_is_built_and_cached_by_the_worker(settings, django_capture_on_commit_callbacks):
    from collection.report_files import cached_batch_report

    settings.UPLOAD_INLINE_MAX_BYTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        batch = verify(DATA / "sample_p0101_messy.xlsx")
    assert report_files(batch) == []
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    [name] = report_files(batch)
    assert name.startswith("annotated-")
    batch.refresh_from_db()
    with default_storage.open(f"reports/batch-{batch.pk}/{name}", "rb") as fh:
        assert cached_batch_report(batch) == fh.read()
    assert report_files(batch) == [name]


@pytest.mark.django_db(transaction=True)
def test_a_large_batch_without_any_issue_gets_its_report_when_asked_not_in_advance(
    settings, django_capture_on_commit_callbacks
):
    """Nothing to annotate: the worker goes straight on to the next task (the batch's merge, once approved)."""
    from collection.report_files import ReportPending, report_download

    settings.UPLOAD_INLINE_MAX_BYTES = 0
    with django_capture_on_commit_callbacks(execute=True):
        batch = verify(DATA / "sample_p0101_clean.xlsx")
    assert batch.invalid == 0 and not batch.issues.exists()
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert report_files(batch) == []
    with pytest.raises(ReportPending), django_capture_on_commit_callbacks(execute=True):
        report_download(batch)
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert [name for name in report_files(batch) if name.startswith("annotated-")]
