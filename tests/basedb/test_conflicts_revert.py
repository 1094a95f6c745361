"""Resolving cross-township conflicts (recorded in history, only by an officer covering both townships) and
reverting a merged batch (restores the previous state, with history)."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from basedb.conflicts import resolve_conflict
from basedb.merge import merge_batch
from basedb.models import Conflict, Record, RecordVersion
from basedb.revert import revert_batch
from collection.choices import BatchStatus, MergeState
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


@pytest.fixture
def conflict(officer_a):
    merge_batch(staged_batch(TOWNSHIP_B, [person(1)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13700000000")]), acting_user=officer_a)
    return Conflict.objects.get()


def test_taking_the_new_values_updates_the_record_and_records_the_decision(conflict, officer_a):
    resolve_conflict(conflict, decision="take_new", acting_user=officer_a)
    record = Record.objects.get()
    assert (record.values["phone"], record.region_id, record.version) == ("13700000000", TOWNSHIP_A, 2)
    version = record.versions.get(version=2)
    assert (version.action, version.acting_user, version.changes) == (
        "resolve", officer_a, {"phone": [person(1)["phone"], "13700000000"]}
    )  # fmt: skip
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution, conflict.resolved_by) == ("resolved", "take_new", officer_a)
    assert conflict.staged_row.merge_state == MergeState.MERGED


def test_keeping_the_existing_record_changes_no_value_but_is_recorded(conflict, officer_a):
    resolve_conflict(conflict, decision="keep_existing", acting_user=officer_a, note="原乡镇信息准确")
    record = Record.objects.get()
    assert (record.values, record.region_id) == (person(1), TOWNSHIP_B)
    assert record.versions.filter(action="resolve", changes={}).exists()
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.note) == ("keep_existing", "原乡镇信息准确")


def test_editing_writes_the_officers_values(conflict, officer_a):
    resolve_conflict(conflict, decision="edit", acting_user=officer_a, values={"phone": "13611112222"}, note="电话核实")
    assert Record.objects.get().values["phone"] == "13611112222"
    assert Record.objects.get().region_id == TOWNSHIP_B


def test_an_officer_not_covering_both_townships_cannot_resolve(conflict, other_county_officer, collector_a):
    for user in (other_county_officer, collector_a):
        with pytest.raises(PermissionDenied):
            resolve_conflict(conflict, decision="take_new", acting_user=user)
    assert Conflict.objects.get().status == "open"


def test_a_city_officer_may_resolve(conflict, city_officer):
    resolve_conflict(conflict, decision="keep_existing", acting_user=city_officer)
    assert Conflict.objects.get().status == "resolved"


def state() -> dict:
    return {r.entity.key: (r.status, r.values) for r in Record.objects.select_related("entity")}


def test_revert_restores_the_state_before_the_batch(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(3)]), acting_user=officer_a)
    before = state()
    batch = staged_batch(TOWNSHIP_A, [person(0, phone="13000000000", name="新名"), person(1), person(9)])
    merge_batch(batch, acting_user=officer_a)
    result = revert_batch(batch, acting_user=officer_a)
    assert (result.retired, result.restored) == (1, 1)
    after = state()
    new_key = person(9)["id_number"]
    assert after.pop(new_key)[0] == "retired"
    assert after == before
    undo = Record.objects.get(entity__key=person(0)["id_number"]).versions.get(version=3)
    assert undo.changes == {"phone": ["13000000000", person(0)["phone"]], "name": ["新名", "测试0"]}
    assert undo.note == f"撤销批次 {batch.pk}"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_REVIEW


def test_a_reverted_batch_can_be_merged_again(officer_a):
    batch = staged_batch(TOWNSHIP_A, [person(n) for n in range(2)])
    merge_batch(batch, acting_user=officer_a)
    revert_batch(batch, acting_user=officer_a)
    assert set(Record.objects.values_list("status", flat=True)) == {"retired"}
    result = merge_batch(batch, acting_user=officer_a)
    assert result.created == 2
    assert set(Record.objects.values_list("status", flat=True)) == {"active"}
    assert RecordVersion.objects.filter(action="restore").count() == 2


def test_revert_keeps_a_value_a_later_batch_changed(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    middle = staged_batch(TOWNSHIP_A, [person(1, phone="13000000001", name="中间")])
    merge_batch(middle, acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13000000002", name="中间")]), acting_user=officer_a)
    revert_batch(middle, acting_user=officer_a)
    assert Record.objects.get().values == person(1, phone="13000000002")


def test_revert_closes_the_batchs_open_conflicts(conflict, officer_a):
    revert_batch(conflict.batch, acting_user=officer_a)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.note) == ("resolved", "批次已撤销")
    assert not conflict.batch.issues.filter(rule="conflict").exists()


def test_an_officer_of_another_county_cannot_revert(officer_a, other_county_officer):
    batch = staged_batch(TOWNSHIP_A, [person(1)])
    merge_batch(batch, acting_user=officer_a)
    with pytest.raises(PermissionDenied):
        revert_batch(batch, acting_user=other_county_officer)


def test_the_revert_batch_command_reverts_as_the_named_user(officer_a, capsys):
    batch = staged_batch(TOWNSHIP_A, [person(1)])
    merge_batch(batch, acting_user=officer_a)
    call_command("revert_batch", str(batch.pk), "--user", "officer_a")
    assert json.loads(capsys.readouterr().out) == {"batch": batch.pk, "retired": 1, "restored": 0}
    assert RecordVersion.objects.get(action="retire").acting_user == officer_a
