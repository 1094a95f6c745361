"""Conflicts surface at verification: a row whose record another township holds gets a warning naming it."""

import pytest
from django.urls import reverse

from basedb.merge import merge_batch
from collection.models import Batch, BatchIssue
from regions.models import Region
from tests.collection.batch_fixtures import P0101_ROWS, media, write_xlsx
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")
__all__ = ["media"]


def _upload(client, collector, path) -> Batch:
    client.force_login(collector)
    with open(path, "rb") as fh:
        client.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    return Batch.objects.order_by("-pk").first()


def test_a_person_held_by_another_township_is_a_warning_at_verification(
    client, collector_a, officer_a, media, tmp_path
):
    held = person(1, id_number=P0101_ROWS[0][1], name=P0101_ROWS[0][0])
    merge_batch(staged_batch(TOWNSHIP_B, [held]), acting_user=officer_a)
    batch = _upload(client, collector_a, write_xlsx(tmp_path / "a.xlsx", P0101_ROWS))
    warnings = list(BatchIssue.objects.filter(batch=batch, rule="conflict"))
    assert [w.row for w in warnings] == [2] and warnings[0].severity == "warning"
    assert Region.objects.get(code=TOWNSHIP_B).name in warnings[0].message
    assert batch.invalid == 0 and batch.status == "pending_review"  # a warning: the row may still be approved
    page = client.get(reverse("collection:batch_detail", args=[batch.pk])).content.decode()
    assert "与其他乡镇冲突" in page


def test_the_own_townships_record_is_no_conflict(client, collector_a, officer_a, media, tmp_path):
    held = person(1, id_number=P0101_ROWS[0][1], name=P0101_ROWS[0][0])
    merge_batch(staged_batch(TOWNSHIP_A, [held]), acting_user=officer_a)
    batch = _upload(client, collector_a, write_xlsx(tmp_path / "a.xlsx", P0101_ROWS))
    assert not BatchIssue.objects.filter(batch=batch, rule="conflict").exists()
