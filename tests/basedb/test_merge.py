"""Merging batches into the base database: creates, idempotent re-imports, changed-only updates, conflicts,
errors never merged, previews without writes, and a crashed merge that resumes exactly once."""

import pytest

from basedb.choices import RecordStatus
from basedb.merge import SimulatedCrash, merge_batch
from basedb.models import Conflict, Entity, MergeRun, Record, RecordVersion
from basedb.outcomes import preview_batch, preview_rows
from collection.choices import BatchStatus, MergeState
from collection.models import BatchIssue, StagedRow
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def counts(result) -> tuple:
    return (result.created, result.updated, result.unchanged, result.conflicts)


def test_a_new_batch_creates_one_entity_record_and_create_version_per_row(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(5)])
    assert counts(merge_batch(batch, acting_user=officer_a)) == (5, 0, 0, 0)
    record = Record.objects.get(entity__key=person(3)["id_number"])
    assert (record.values, record.region_id, record.version, record.last_batch_id) == (
        person(3),
        TOWNSHIP_A,
        1,
        batch.pk,
    )
    version = record.versions.get()
    assert (version.action, version.batch_id, version.acting_user_id) == ("create", batch.pk, officer_a.pk)
    assert version.changes == person(3)  # a create stores the values it created
    assert version.pairs()["phone"] == [None, person(3)["phone"]]
    assert Entity.objects.get(key=person(3)["id_number"]).display_name == "测试3"
    batch.refresh_from_db()
    assert (batch.status, batch.created) == (BatchStatus.MERGED, 5)
    assert set(batch.staged_rows.values_list("merge_state", flat=True)) == {MergeState.MERGED}


def test_reimporting_identical_data_changes_nothing(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(6)]), acting_user=officer_a)
    versions = RecordVersion.objects.count()
    again = staged_batch(TOWNSHIP_A, [person(n) for n in reversed(range(6))])
    assert counts(merge_batch(again, acting_user=officer_a)) == (0, 0, 6, 0)
    assert RecordVersion.objects.count() == versions
    assert set(Record.objects.values_list("version", flat=True)) == {1}


def test_only_changed_fields_are_updated_and_versioned(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(4)]), acting_user=officer_a)
    changed = staged_batch(TOWNSHIP_A, [person(0), person(1, phone="13900000001"), person(2), person(3)])
    assert counts(merge_batch(changed, acting_user=officer_a)) == (0, 1, 3, 0)
    record = Record.objects.get(entity__key=person(1)["id_number"])
    assert record.values == person(1, phone="13900000001")
    assert (record.version, record.last_batch_id) == (2, changed.pk)
    update = record.versions.get(version=2)
    assert (update.action, update.changes, update.batch_id) == (
        "update",
        {"phone": [person(1)["phone"], "13900000001"]},
        changed.pk,
    )


def test_an_item_missing_from_the_file_keeps_its_stored_value(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    partial = {k: v for k, v in person(1, name="改名").items() if k != "phone"}
    assert counts(merge_batch(staged_batch(TOWNSHIP_A, [partial]), acting_user=officer_a)) == (0, 1, 0, 0)
    assert Record.objects.get().values == person(1, name="改名")


def test_rows_with_errors_never_merge(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(3)], invalid={1})
    assert counts(merge_batch(batch, acting_user=officer_a)) == (2, 0, 0, 0)
    assert not Entity.objects.filter(key=person(1)["id_number"]).exists()
    assert batch.staged_rows.get(row=3).merge_state == MergeState.SKIPPED


def test_a_key_held_by_another_township_becomes_a_conflict_not_an_update(officer_a):
    merge_batch(staged_batch(TOWNSHIP_B, [person(n) for n in range(3)]), acting_user=officer_a)
    batch = staged_batch(TOWNSHIP_A, [person(1, phone="13700000000"), person(7)])
    assert counts(merge_batch(batch, acting_user=officer_a)) == (1, 0, 0, 1)
    record = Record.objects.get(entity__key=person(1)["id_number"])
    assert (record.region_id, record.values, record.version) == (TOWNSHIP_B, person(1), 1)
    conflict = Conflict.objects.get()
    assert (conflict.record_id, conflict.existing_region_id, conflict.incoming_region_id) == (
        record.pk,
        TOWNSHIP_B,
        TOWNSHIP_A,
    )
    assert conflict.incoming_values["phone"] == "13700000000"
    issue = BatchIssue.objects.get(batch=batch, rule="conflict")
    assert (issue.row, issue.severity, issue.value) == (2, "warning", person(1)["id_number"])
    assert "向阳街道" in issue.message
    assert batch.staged_rows.get(row=2).merge_state == MergeState.CONFLICT


def test_one_entity_holds_one_record_per_subcategory(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    p0102 = {"name": "测试1", "id_number": person(1)["id_number"], "address": "芝罘区某路1号"}
    batch = staged_batch(TOWNSHIP_B, [p0102], subcategory="P0102")
    assert counts(merge_batch(batch, acting_user=officer_a)) == (1, 0, 0, 0)
    entity = Entity.objects.get()
    assert sorted(entity.records.values_list("subcategory__code", flat=True)) == ["P0101", "P0102"]


def test_preview_gives_the_merge_counts_and_writes_nothing(officer_a):
    merge_batch(staged_batch(TOWNSHIP_B, [person(0)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2)]), acting_user=officer_a)
    values = [person(0), person(1), person(2, phone="13000000000"), person(3)]
    rows = [(i + 2, v, v["id_number"]) for i, v in enumerate(values)]
    before = (Record.objects.count(), RecordVersion.objects.count(), Conflict.objects.count())
    assert counts(preview_rows("P0101", TOWNSHIP_A, rows)) == (1, 1, 1, 1)
    batch = staged_batch(TOWNSHIP_A, [r[1] for r in rows])
    assert counts(preview_batch(batch)) == (1, 1, 1, 1)
    assert (Record.objects.count(), RecordVersion.objects.count(), Conflict.objects.count()) == before
    assert counts(merge_batch(batch, acting_user=officer_a)) == (1, 1, 1, 1)


def test_merging_a_merged_batch_again_returns_its_counts_without_writing(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(3)])
    merge_batch(batch, acting_user=officer_a)
    versions = RecordVersion.objects.count()
    assert counts(merge_batch(batch, acting_user=officer_a)) == (3, 0, 0, 0)
    assert RecordVersion.objects.count() == versions


def snapshot() -> dict:
    """The base database's content independent of ids and times."""
    records = {
        r.entity.key: (r.region_id, r.status, r.version, r.values) for r in Record.objects.select_related("entity")
    }
    versions = sorted(
        (v.record.entity.key, v.version, v.action, str(v.changes))
        for v in RecordVersion.objects.select_related("record__entity")
    )
    conflicts = sorted(
        (c.entity.key, c.existing_region_id, c.incoming_region_id) for c in Conflict.objects.select_related("entity")
    )
    issues = sorted(BatchIssue.objects.filter(rule="conflict").values_list("row", "value"))
    return {"records": records, "versions": versions, "conflicts": conflicts, "issues": issues}


def reset_basedb():
    for model in (RecordVersion, Conflict, Record, Entity, MergeRun):
        model.objects.all().delete()
    BatchIssue.objects.filter(rule="conflict").delete()
    StagedRow.objects.update(merge_state=MergeState.PENDING)


def scenario(officer, crash: bool):
    """Township B holds persons 0-9; township A sends 0-4 changed (conflicts), 20-44 new, one invalid row."""
    first = staged_batch(TOWNSHIP_B, [person(n) for n in range(10)])
    merge_batch(first, acting_user=officer)
    rows = [person(n, phone="13911112222") for n in range(5)] + [person(n) for n in range(20, 45)]
    batch = staged_batch(TOWNSHIP_A, rows, invalid={7})
    if crash:
        with pytest.raises(SimulatedCrash):
            merge_batch(batch, acting_user=officer, chunk_size=10, _crash_after_chunks=1)
        batch.refresh_from_db()
        assert batch.status == BatchStatus.MERGING
        assert MergeRun.objects.get(batch=batch).last_row == batch.staged_rows.order_by("id")[9].pk
        assert Record.objects.filter(region_id=TOWNSHIP_A).count() == 4  # only the first chunk is in
    result = merge_batch(batch, acting_user=officer, chunk_size=10)
    return counts(result), snapshot()


def test_an_interrupted_merge_rerun_ends_exactly_as_one_uninterrupted_merge(officer_a):
    crashed = scenario(officer_a, crash=True)
    reset_basedb()
    from collection.models import Batch

    Batch.objects.all().delete()
    straight = scenario(officer_a, crash=False)
    assert crashed == straight
    assert crashed[0] == (24, 0, 0, 5)


def test_a_collector_cannot_merge_and_an_unverified_batch_is_refused(collector_a, officer_a):
    from django.core.exceptions import PermissionDenied, ValidationError

    batch = staged_batch(TOWNSHIP_A, [person(1)])
    with pytest.raises(PermissionDenied):
        merge_batch(batch, acting_user=collector_a)
    batch.status = BatchStatus.VERIFYING
    batch.save()
    with pytest.raises(ValidationError):
        merge_batch(batch, acting_user=officer_a)
    assert not Record.objects.exists()


def test_preview_accepts_a_verified_frame(officer_a):
    import pandas as pd

    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    frame = pd.DataFrame([person(1, phone="13000000000"), person(2)])
    frame["_key"] = frame["id_number"]
    frame["_row"], frame["_valid"] = [2, 3], [True, True]
    frame.loc[1, "remarks"] = pd.NA
    assert counts(preview_rows("P0101", TOWNSHIP_A, frame)) == (1, 1, 0, 0)


def test_a_frame_preview_counts_like_the_row_by_row_preview(officer_a):
    import pandas as pd

    merge_batch(staged_batch(TOWNSHIP_B, [person(0)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 6)]), acting_user=officer_a)
    Record.objects.filter(entity__key=person(5)["id_number"]).update(status=RecordStatus.RETIRED)
    values = [person(0), person(1), person(2, phone="13000000000"), person(3, remarks=""), person(4, name=""),
              person(5), person(6), person(6, phone="13000000000")]  # fmt: skip
    rows = [(i + 2, v, v["id_number"]) for i, v in enumerate(values)]
    expected = (2, 2, 2, 1)  # new + retired, phone/name changed, same or blank-as-missing, other township
    assert counts(preview_rows("P0101", TOWNSHIP_A, rows)) == expected
    frame = pd.DataFrame(values)
    frame["_key"], frame["_row"], frame["_valid"] = frame["id_number"], range(2, 10), True
    frame.loc[3, "remarks"] = pd.NA
    assert counts(preview_rows("P0101", TOWNSHIP_A, frame)) == expected


def test_a_create_version_reads_as_pairs_without_its_empty_items(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(0, phone="", remark=None)])
    merge_batch(batch, acting_user=officer_a)
    version = RecordVersion.objects.get(record__entity__key=person(0)["id_number"])
    assert version.changes["phone"] == "" and version.changes["remark"] is None
    pairs = version.pairs()
    assert "phone" not in pairs and "remark" not in pairs
    assert pairs["name"] == [None, person(0)["name"]]
    assert all(old is None for old, _new in pairs.values())


def test_the_migration_turns_stored_create_pairs_into_values_and_back(officer_a):
    import importlib

    from django.apps import apps

    from regions.scoping import allow_unrestricted

    migration = importlib.import_module("basedb.migrations.0003_create_versions_store_values")
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(3)]), acting_user=officer_a)
    before = {v.pk: (v.changes, v.pairs()) for v in RecordVersion.objects.all()}
    with allow_unrestricted("test: a data migration runs over every region"):
        migration.values_to_pairs(apps, None)
    old_form = {v.pk: v.changes for v in RecordVersion.objects.all()}
    assert all(changes == pairs for (_values, pairs), changes in zip(before.values(), old_form.values(), strict=True))
    with allow_unrestricted("test: a data migration runs over every region"):
        migration.pairs_to_values(apps, None)
    after = {v.pk: v.changes for v in RecordVersion.objects.all()}
    # Back to values (empty items are not in the old pairs form, so they do not come back).
    for pk, (values, _pairs) in before.items():
        assert after[pk] == {k: v for k, v in values.items() if v not in (None, "")}
