"""Re-evaluation after merges, from the change feed: only the changed entities and the rules reading a changed
subcategory, and always the same work lists as a full evaluation."""

import pytest
from django.db.models import Max

from basedb.merge import merge_batch
from basedb.models import RecordVersion
from basedb.revert import revert_batch
from matching.evaluation import evaluate_rules
from matching.incremental import reevaluate_changes
from matching.models import ChangeCursor, WorkEntry
from tests.basedb.conftest import staged_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .scenario import AS_OF, BY_NAME, Person, merge

pytestmark = pytest.mark.django_db


def snapshot() -> set[tuple]:
    """Every entry: rule, entity, township, open or closed, status."""
    rows = WorkEntry.objects.values_list("rule__code", "entity__key", "region_id", "closed_at", "status")
    return {(rule, key, region, closed is None, status) for rule, key, region, closed, status in rows}


def settle_full() -> list:
    """A full evaluation of every rule; returns the runs that changed something."""
    return [run for run in evaluate_rules(as_of=AS_OF) if run.new or run.closed]


@pytest.fixture
def evaluated(town):
    evaluate_rules(as_of=AS_OF)
    ChangeCursor.objects.create(last_version=RecordVersion.objects.aggregate(m=Max("id"))["m"])
    return town


def test_without_changes_an_incremental_pass_does_nothing(evaluated):
    assert reevaluate_changes(as_of=AS_OF) == []


def test_only_the_rules_reading_a_changed_subcategory_are_evaluated(evaluated):
    merge(TOWNSHIP_A, "P0307", [BY_NAME["王二"].values("P0307")])
    runs = reevaluate_changes(as_of=AS_OF)
    readers_of_p0307 = {"medical_insurance_gap", "dibao_medical_insurance_gap", "tekun_medical_insurance_gap",
                        "dibao_subsidy_flag_missing", "monitored_medical_insurance_gap"}  # fmt: skip
    assert {run.rule.code for run in runs} == readers_of_p0307
    assert {run.rule.code: (run.new, run.closed) for run in runs}["medical_insurance_gap"] == (0, 1)


def test_incremental_equals_full_after_a_series_of_merges(evaluated, officer_a):
    newcomer = Person(20, "蒋二十", "1940-02-02", region=TOWNSHIP_B)
    merge(TOWNSHIP_A, "P0307", [BY_NAME["王二"].values("P0307")])  # insured: leaves the medical list
    merge(TOWNSHIP_A, "P0106", [BY_NAME["赵四"].values("P0106")])  # died: leaves the elderly list
    merge(TOWNSHIP_A, "P0304", [BY_NAME["郑九"].values("P0304")])  # subsidised: leaves the disability list
    merge(TOWNSHIP_B, "P0101", [newcomer.values("P0101")])  # a new 86-year-old, uninsured
    reevaluate_changes(as_of=AS_OF)
    incremental = snapshot()
    assert settle_full() == [], "a full evaluation finds nothing left to change"
    assert snapshot() == incremental
    assert ("elderly_allowance_gap", newcomer.id_number, TOWNSHIP_B, True, "pending") in incremental


def test_incremental_equals_full_after_a_revert(evaluated, officer_a):
    batch = staged_batch(TOWNSHIP_A, [BY_NAME["王二"].values("P0307")], subcategory="P0307")
    merge_batch(batch, acting_user=officer_a)
    reevaluate_changes(as_of=AS_OF)
    revert_batch(batch, acting_user=officer_a)  # the insurance record is retired again: back on the list
    reevaluate_changes(as_of=AS_OF)
    incremental = snapshot()
    assert ("medical_insurance_gap", BY_NAME["王二"].id_number, TOWNSHIP_A, True, "pending") in incremental
    assert settle_full() == []
    assert snapshot() == incremental


def test_the_cursor_advances_and_a_second_pass_has_nothing_to_do(evaluated):
    merge(TOWNSHIP_A, "P0305", [BY_NAME["赵四"].values("P0305")])
    assert reevaluate_changes(as_of=AS_OF)
    assert ChangeCursor.objects.get().last_version == RecordVersion.objects.aggregate(m=Max("id"))["m"]
    assert reevaluate_changes(as_of=AS_OF) == []


def test_a_merge_queues_the_re_evaluation_and_the_task_closes_the_entry(evaluated, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from matching.tasks import reevaluate_changes_task

    queued = DBTaskResult.objects.filter(task_path="matching.tasks.reevaluate_changes_task")
    before = queued.count()
    with django_capture_on_commit_callbacks(execute=True):
        merge(TOWNSHIP_A, "P0307", [BY_NAME["王二"].values("P0307")])
    assert queued.count() == before + 1
    reevaluate_changes_task.call()
    entry = WorkEntry.objects.get(rule__code="medical_insurance_gap", entity__display_name="王二")
    assert entry.closed_at is not None
