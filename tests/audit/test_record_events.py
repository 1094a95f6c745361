"""Conflict resolution and manual placement write their audit events with the officer or collector and the
township."""

import io

import pytest
from django.core.management import call_command

from basedb.conflicts import resolve_conflict
from basedb.merge import merge_batch
from basedb.models import Conflict, Record
from basedb.placement import place_manually
from regions.choices import ActorKind, AuditVerb
from regions.models import AuditEvent
from tests.basedb.conftest import person, staged_batch
from tests.conftest import GRID_A, TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def test_resolving_a_conflict_is_recorded_with_the_items_but_not_the_values(officer_a):
    merge_batch(staged_batch(TOWNSHIP_B, [person(1)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13700000000")]), acting_user=officer_a)
    resolve_conflict(Conflict.objects.get(), decision="take_new", acting_user=officer_a, note="以新数据为准")
    (event,) = AuditEvent.objects.filter(verb=AuditVerb.RESOLVE_CONFLICT)
    assert (event.actor_user, event.region_id, event.note) == (officer_a, TOWNSHIP_B, "以新数据为准")
    assert event.after["decision"] == "take_new" and event.after["record_region"] == TOWNSHIP_A
    assert "phone" in event.after["items"] and "13700000000" not in str(event.after)


def test_placing_records_by_hand_is_recorded(sample_villages, officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    place_manually([Record.objects.get().pk], GRID_A, acting_user=collector_a)
    (event,) = AuditEvent.objects.filter(verb=AuditVerb.PLACE)
    assert (event.actor_user, event.region_id, event.after) == (
        collector_a,
        TOWNSHIP_A,
        {"place": GRID_A, "records": 1},
    )


def test_placing_records_again_from_the_command_line_is_recorded_when_it_moved_records(sample_villages, officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n, grid=f"示例社区0{n}第0{n}网格") for n in (1, 2, 3)]),
                acting_user=officer_a)  # fmt: skip
    call_command("place_records", "--region", TOWNSHIP_A, stdout=io.StringIO())
    call_command("place_records", "--region", TOWNSHIP_A, stdout=io.StringIO())  # nothing moves: no event
    (event,) = AuditEvent.objects.filter(verb=AuditVerb.PLACE)
    assert (event.actor_kind, event.region_id, event.after["changed"]) == (ActorKind.CLI, TOWNSHIP_A, 3)
    assert event.command == f"manage.py place_records --region={TOWNSHIP_A}"
