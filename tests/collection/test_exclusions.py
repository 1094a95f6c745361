"""No dead ends: a duplicate (or any row that must not be reported) is excluded with a reason, recorded and never
merged; it can be taken back; a batch merged with invalid rows says what to do with them."""

import pytest
from django.urls import reverse

from collection import review
from collection.choices import BatchStatus
from collection.models import Batch, StagedRow
from regions.models import AuditEvent
from tests.collection.batch_fixtures import P0101_ROWS, media, p0101_with_bad_id, write_xlsx
from tests.conftest import TOWNSHIP_A

__all__ = ["media"]


def _upload(client, path) -> Batch:
    with open(path, "rb") as fh:
        client.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    return Batch.objects.order_by("-pk").first()


@pytest.fixture
def duplicate_batch(logged_in, catalog, media, tmp_path) -> Batch:
    """Rows 2-4 as P0101_ROWS, row 5 repeats row 2's person."""
    return _upload(logged_in, write_xlsx(tmp_path / "重复.xlsx", [*P0101_ROWS, P0101_ROWS[0]]))


def _exclude(client, batch, row: int, reason: str = "与第 2 行重复"):
    staged = StagedRow.objects.get(batch=batch, row=row)
    return client.post(reverse("collection:batch_exclude_row", args=[batch.pk, staged.pk]), {"reason": reason})


def test_a_duplicate_row_offers_to_be_excluded(logged_in, duplicate_batch):
    page = logged_in.get(reverse("collection:batch_detail", args=[duplicate_batch.pk])).content.decode()
    assert duplicate_batch.invalid == 1 and "排除此行" in page and "排除（不入库）" in page


def test_excluding_the_duplicate_leaves_the_batch_ready_for_review(logged_in, duplicate_batch):
    response = _exclude(logged_in, duplicate_batch, 5)
    duplicate_batch.refresh_from_db()
    assert response.status_code == 302
    batch = duplicate_batch
    assert (batch.invalid, batch.valid, batch.status) == (0, 3, BatchStatus.PENDING_REVIEW)
    assert duplicate_batch.duplicates_in_file == 0


def test_an_excluded_row_shows_its_reason_who_and_when_and_the_state_counts_it(logged_in, duplicate_batch):
    _exclude(logged_in, duplicate_batch, 5)
    page = logged_in.get(reverse("collection:batch_detail", args=[duplicate_batch.pk]), {"q": "5"}).content.decode()
    assert "已排除" in page and "与第 2 行重复" in page and "collector_a" in page and "恢复此行" in page
    assert "排除 1 行" in page


def test_an_exclusion_is_recorded_in_the_audit_trail_with_its_reason(logged_in, duplicate_batch):
    _exclude(logged_in, duplicate_batch, 5)
    event = AuditEvent.objects.get(verb="exclude_row")
    assert event.note == "与第 2 行重复" and event.after["row"] == 5


def test_an_exclusion_needs_a_reason(logged_in, duplicate_batch):
    _exclude(logged_in, duplicate_batch, 5, reason="  ")
    assert StagedRow.objects.get(batch=duplicate_batch, row=5).excluded_at is None


def test_an_excluded_row_is_never_merged(logged_in, duplicate_batch, officer_a):
    _exclude(logged_in, duplicate_batch, 2, reason="这一行信息有误，保留第 5 行")  # the first holder goes
    duplicate_batch.refresh_from_db()
    assert duplicate_batch.status == BatchStatus.PENDING_REVIEW  # row 5 is first now, no longer a duplicate
    result = review.approve_batch(duplicate_batch, acting_user=officer_a)
    assert result.created == 3
    assert StagedRow.objects.get(batch=duplicate_batch, row=2).merge_state != "merged"


def test_an_excluded_row_can_be_taken_back(logged_in, duplicate_batch):
    _exclude(logged_in, duplicate_batch, 5)
    staged = StagedRow.objects.get(batch=duplicate_batch, row=5)
    logged_in.post(reverse("collection:batch_include_row", args=[duplicate_batch.pk, staged.pk]))
    duplicate_batch.refresh_from_db()
    assert (duplicate_batch.invalid, duplicate_batch.status) == (1, BatchStatus.NEEDS_FIX)


def test_another_township_and_an_officer_cannot_exclude_rows(client, collector_b, officer_a, duplicate_batch):
    client.force_login(collector_b)
    assert _exclude(client, duplicate_batch, 5).status_code == 404
    client.force_login(officer_a)
    assert _exclude(client, duplicate_batch, 5).status_code == 403
    assert not StagedRow.objects.filter(batch=duplicate_batch, excluded_at__isnull=False).exists()


def test_a_batch_merged_with_invalid_rows_says_what_next(logged_in, catalog, media, tmp_path, officer_a):
    batch = _upload(logged_in, p0101_with_bad_id(tmp_path / "错一行.xlsx"))
    review.approve_batch(batch, acting_user=officer_a)
    page = logged_in.get(reverse("collection:batch_detail", args=[batch.pk])).content.decode()
    assert "有误的 1 行没有入库" in page and 'id="next-invalid-rows"' in page and "上传改好的文件" in page


def _annotated(client, batch):
    import io

    from openpyxl import load_workbook

    response = client.get(reverse("collection:batch_report", args=[batch.pk]))
    return load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))


def test_the_annotated_workbook_marks_an_excluded_row_with_who_when_and_why(logged_in, duplicate_batch):
    _exclude(logged_in, duplicate_batch, 5)
    book = _annotated(logged_in, duplicate_batch)
    first = book.worksheets[0].cell(5, 1)
    assert "本行不入库：与第 2 行重复（collector_a " in first.comment.text
    assert first.fill.fgColor.rgb.endswith("D9D9D9")
    listed = [[c.value for c in row] for row in book["问题清单"].iter_rows(min_row=2)]
    assert [5, "已排除的行", "已排除"] in [[r[0], r[3], r[4]] for r in listed]
    assert not [r for r in listed if r[0] == 5 and r[3] == "文件内重复"]  # its duplicate error is no longer to fix


def test_an_excluded_row_taken_back_is_no_longer_marked(logged_in, duplicate_batch):
    _exclude(logged_in, duplicate_batch, 5)
    _annotated(logged_in, duplicate_batch)  # cached once
    staged = StagedRow.objects.get(batch=duplicate_batch, row=5)
    logged_in.post(reverse("collection:batch_include_row", args=[duplicate_batch.pk, staged.pk]))
    listed = [[c.value for c in row] for row in _annotated(logged_in, duplicate_batch)["问题清单"].iter_rows(min_row=2)]
    assert not [r for r in listed if r[3] == "已排除的行"] and [r for r in listed if r[0] == 5]
