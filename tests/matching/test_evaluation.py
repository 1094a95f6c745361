"""Evaluating the shipped rules on the scenario town: the exact work lists of the four pinned rules, through the CLI."""

import pytest

from basedb.models import Entity
from matching.choices import CLOSED_NO_LONGER_MATCHES, EntryStatus
from matching.models import EvaluationRun, WorkEntry
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .scenario import AS_OF, BY_NAME, EXPECTED, PINNED, evaluate_json, listed, merge

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rule", PINNED)
def test_each_pinned_rule_lists_exactly_the_people_the_scenario_says(town, rule):
    evaluate_json("--rule", rule)
    assert listed(rule) == EXPECTED[rule]


def test_the_json_output_has_one_object_per_rule_and_township_with_open_entries(town):
    output = evaluate_json(*(arg for rule in PINNED for arg in ("--rule", rule)))
    got = {(o["rule"], o["region"], o["matched"], o["new"], o["closed"]) for o in output}
    want = set()
    for rule, people in EXPECTED.items():
        for region in {r for r, _ in people}:
            n = sum(1 for r, _ in people if r == region)
            want.add((rule, region, n, n, 0))
    assert got == want
    assert len(output) == len(want)


def test_a_second_evaluation_opens_and_closes_nothing(town):
    evaluate_json()
    again = evaluate_json()
    assert again and all(o["new"] == 0 and o["closed"] == 0 for o in again)


def test_the_age_comes_from_the_id_number_when_the_birth_date_is_empty(town):
    record = Entity.objects.get(display_name="钱五").records.get(subcategory__code="P0101")
    assert "birth_date" not in record.values
    evaluate_json("--rule", "elderly_allowance_gap")
    assert (TOWNSHIP_A, "钱五") in listed("elderly_allowance_gap")


def test_someone_is_listed_from_their_eightieth_birthday_on(town):
    evaluate_json("--rule", "elderly_allowance_gap")
    assert (TOWNSHIP_A, "孙六") not in listed("elderly_allowance_gap")
    output = evaluate_json("--rule", "elderly_allowance_gap", as_of=AS_OF.replace(day=1, month=7))
    assert (TOWNSHIP_A, "孙六") in listed("elderly_allowance_gap")
    assert {"rule": "elderly_allowance_gap", "region": TOWNSHIP_A, "matched": 3, "new": 1, "closed": 0} in output


def test_a_region_evaluation_leaves_other_townships_alone(town):
    output = evaluate_json("--rule", "medical_insurance_gap", "--region", TOWNSHIP_B)
    assert output == [{"rule": "medical_insurance_gap", "region": TOWNSHIP_B, "matched": 1, "new": 1, "closed": 0}]
    assert listed("medical_insurance_gap") == {(TOWNSHIP_B, "吴八")}


def test_an_entry_whose_data_no_longer_matches_is_closed_and_keeps_its_feedback(town):
    evaluate_json("--rule", "medical_insurance_gap")
    entry = WorkEntry.objects.get(rule__code="medical_insurance_gap", entity__display_name="王二")
    WorkEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.DONE, note="已动员参保")
    merge(TOWNSHIP_A, "P0307", [BY_NAME["王二"].values("P0307")])
    output = evaluate_json("--rule", "medical_insurance_gap")
    entry.refresh_from_db()
    assert entry.closed_at is not None and entry.close_reason == CLOSED_NO_LONGER_MATCHES
    assert (entry.status, entry.note) == (EntryStatus.DONE, "已动员参保")
    assert output == [{"rule": "medical_insurance_gap", "region": TOWNSHIP_B, "matched": 1, "new": 0, "closed": 0}]
    assert EvaluationRun.objects.filter(rule__code="medical_insurance_gap").first().closed == 1


def test_statuses_survive_re_evaluation(town):
    evaluate_json()
    WorkEntry.objects.filter(entity__display_name="郑九").update(status=EntryStatus.CONFIRMED, note="入户核实属实")
    evaluate_json()
    evaluate_json(as_of=AS_OF.replace(year=2027))
    entry = WorkEntry.objects.get(rule__code="disability_subsidy_gap")
    assert (entry.status, entry.note, entry.closed_at) == (EntryStatus.CONFIRMED, "入户核实属实", None)


def test_entries_remember_the_rule_version_and_the_facts_of_their_evaluation(town):
    evaluate_json("--rule", "elderly_allowance_gap")
    entry = WorkEntry.objects.get(rule__code="elderly_allowance_gap", entity__display_name="钱五")
    assert entry.rule_version.version == entry.rule.version == 1
    assert entry.facts["_birth"] == "1946-06-30"
    assert entry.facts["_version"] == 1


def test_a_new_version_that_changes_no_fact_does_not_rewrite_the_entry_one_that_does_refreshes_it(town):
    evaluate_json("--rule", "elderly_allowance_gap")
    qian = BY_NAME["钱五"]
    entry = WorkEntry.objects.get(rule__code="elderly_allowance_gap", entity__display_name="钱五")
    moved = qian.values("P0101") | {"current_address": "芝罘区新址路1号"}  # an item the rule does not read
    merge(qian.region, "P0101", [moved])
    evaluate_json("--rule", "elderly_allowance_gap")
    kept = WorkEntry.objects.get(pk=entry.pk)
    assert (kept.evaluated_at, kept.facts) == (entry.evaluated_at, entry.facts)
    assert kept.facts["_version"] == 1  # the version these facts were read from: version 2 gives the same facts
    merge(qian.region, "P0101", [moved | {"birth_date": "1945-01-01"}])  # the item an age is computed from
    evaluate_json("--rule", "elderly_allowance_gap")
    refreshed = WorkEntry.objects.get(pk=entry.pk)
    assert refreshed.evaluated_at > entry.evaluated_at
    assert (refreshed.facts["_birth"], refreshed.facts["_version"]) == ("1945-01-01", 3)


def test_the_cli_refuses_unknown_rules_regions_and_dates_in_chinese(town):
    from django.core.management import CommandError, call_command

    for args, message in (
        (["--rule", "no_such_rule"], "没有规则 no_such_rule"),
        (["--region", "999999"], "行政区划代码 999999 不存在"),
        (["--as-of", "2026-13-01"], "--as-of 应为 YYYY-MM-DD"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("evaluate_rules", *args)


def test_an_evaluation_runs_the_same_statements_however_many_people_match(town):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matching.evaluation import evaluate_rules

    from .scenario import Person

    def statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            evaluate_rules(["medical_insurance_gap"], as_of=AS_OF)
        return len(queries)

    first = statements()
    merge(TOWNSHIP_B, "P0101", [Person(30 + n, f"新人{n}", "1990-01-01", region=TOWNSHIP_B).values("P0101")
                                for n in range(20)])  # fmt: skip
    assert statements() == first
    assert len(listed("medical_insurance_gap")) == 22


def test_new_entries_are_inserted_without_reading_the_work_list_they_are_written_to(town):
    """An INSERT that looked its own table up per hit rescanned every row it had inserted so far when the planner
    chose a nested loop (an empty work list looks free to scan): quadratic, minutes for a first 100,000 entries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matching.evaluation import evaluate_rules

    with CaptureQueriesContext(connection) as queries:
        evaluate_rules(["medical_insurance_gap"], as_of=AS_OF)
    inserts = [q["sql"] for q in queries if q["sql"].startswith(f"INSERT INTO {WorkEntry._meta.db_table} ")]
    assert len(inserts) == 1
    assert inserts[0].count(WorkEntry._meta.db_table) == 1
    assert len(listed("medical_insurance_gap")) == len(EXPECTED["medical_insurance_gap"])
