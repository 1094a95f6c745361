"""Work-list entries are scoped by their record's place: evaluation copies it, and entries follow a record placed
again without a value change (by hand, after the region tree changed)."""

import pytest

from basedb.models import Record
from basedb.placement import place_manually
from matching.models import WorkEntry
from regions.choices import Role
from tests.conftest import GRID_A, TOWNSHIP_A, make_user

from .scenario import BY_NAME, evaluate_json

pytestmark = pytest.mark.django_db


def entry_of(name: str) -> WorkEntry:
    return WorkEntry.objects.get(rule__code="medical_insurance_gap", entity__display_name=name)


def test_an_entry_takes_its_record_place_and_follows_it_when_placed_by_hand(
    town, sample_villages, collector_a, django_capture_on_commit_callbacks
):
    evaluate_json("--rule", "medical_insurance_gap")
    assert entry_of("王二").place_id == TOWNSHIP_A
    record = Record.objects.get(entity__display_name="王二", subcategory__code="P0101")
    with django_capture_on_commit_callbacks(execute=True):
        place_manually([record.pk], GRID_A, acting_user=collector_a)
    assert entry_of("王二").place_id == GRID_A
    grid_worker = make_user("grid_worker", Role.COLLECTOR, GRID_A)
    assert [e.entity.display_name for e in WorkEntry.objects.restrict(grid_worker)] == ["王二"]
    evaluate_json("--rule", "medical_insurance_gap")  # a later evaluation keeps the place
    assert entry_of("王二").place_id == GRID_A and BY_NAME["王二"].region == TOWNSHIP_A
