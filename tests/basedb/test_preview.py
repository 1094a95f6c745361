"""入库预览 (basedb/preview.py): what approving a batch would change, decided as the merge decides, without writing:
counts, the updates item by item (personal items masked), the conflicting people with the holding township, and
what becomes of the rows that will not merge."""

import pytest

from basedb.merge import merge_batch
from basedb.models import Conflict, Record, RecordVersion
from basedb.outcomes import preview_batch
from basedb.preview import approval_preview
from basedb.revert import revert_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def counts(result) -> tuple:
    return (result.created, result.updated, result.unchanged, result.conflicts)


@pytest.fixture
def base(officer_a):
    """Person 0 held by township B; persons 1 and 2 by township A."""
    merge_batch(staged_batch(TOWNSHIP_B, [person(0)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2)]), acting_user=officer_a)


def test_the_preview_counts_what_the_merge_then_does_and_writes_nothing(base, officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(0), person(1), person(2, phone="13000000000"), person(3), person(4)],
                         invalid={4})  # fmt: skip
    before = (Record.objects.count(), RecordVersion.objects.count(), Conflict.objects.count())
    preview = approval_preview(batch)
    assert counts(preview) == counts(preview_batch(batch)) == (1, 1, 1, 1)
    assert (Record.objects.count(), RecordVersion.objects.count(), Conflict.objects.count()) == before
    assert counts(merge_batch(batch, acting_user=officer_a)) == counts(preview)


def test_an_update_lists_each_changed_item_before_and_after_with_personal_items_masked(base):
    batch = staged_batch(TOWNSHIP_A, [person(2, phone="13000000000", ethnicity="02")])
    (update,) = approval_preview(batch).updates
    shown = {c.label: (c.old.text, c.new.text) for c in update.changes}
    assert set(shown) == {"联系电话", "民族"}
    assert shown["民族"] == ("汉族", "蒙古族")
    assert shown["联系电话"] == ("138****0002", "130****0000")
    assert update.row == 2 and update.key == "370602********0002"
    assert update.record_id == Record.objects.get(entity__key=person(2)["id_number"]).pk


def test_a_conflicting_person_is_listed_with_the_holding_townships_name(base):
    preview = approval_preview(staged_batch(TOWNSHIP_A, [person(0, phone="13700000000")]))
    (conflict,) = preview.conflicting
    assert conflict.township == f"向阳街道（{TOWNSHIP_B}）"
    assert conflict.key == "370602********0000" and preview.conflicts == 1


def test_the_rows_left_behind_are_said_in_one_sentence(base):
    batch = staged_batch(TOWNSHIP_A, [person(5), person(6), person(7), person(5, phone="1")], invalid={1, 2})
    preview = approval_preview(batch)
    assert preview.invalid_sentence() == (
        "2 行未通过核验，不会入库，仍留在批次中待修正；1 行与本批次前面的行主体标识重复，只入库第一行。"
    )
    assert counts(preview) == (1, 0, 0, 0)
    assert approval_preview(staged_batch(TOWNSHIP_A, [person(8)])).invalid_sentence() == ""


def test_updates_are_paginated_in_row_order(base, officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(10, 35)]), acting_user=officer_a)
    batch = staged_batch(TOWNSHIP_A, [person(n, phone=f"139{n:08d}") for n in range(10, 35)])
    first, second = approval_preview(batch, page=1), approval_preview(batch, page=2)
    assert first.updated == 25 and first.updates.paginator.num_pages == 2
    assert [u.row for u in first.updates] == list(range(2, 22))
    assert [u.row for u in second.updates] == list(range(22, 27))


def test_a_retired_record_reported_again_counts_as_restored(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(1)])
    merge_batch(batch, acting_user=officer_a)
    revert_batch(batch, acting_user=officer_a)
    preview = approval_preview(staged_batch(TOWNSHIP_B, [person(1)]))
    assert (preview.created, preview.restored, preview.conflicts) == (1, 1, 0)
