"""Records placed in grids and villages (basedb/placement.py): the merge gives new records their row's place and
places changed records again, the region tree and reverts place again, manual places hold until the grid or an
address changes, and access follows the place."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from basedb.merge import merge_batch
from basedb.models import Record
from basedb.placement import place_manually, place_records, unplaced
from basedb.revert import revert_batch
from collection import intake
from regions.choices import Action, Role
from regions.samples import generate_sample_villages
from tests.collection.batch_fixtures import P0101_HEADERS, P0101_ROWS, media, write_xlsx  # noqa: F401 (fixtures)
from tests.conftest import GRID_A, GRID_A2, GRID_B, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A, make_user

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")


def place_of(n: int) -> str:
    return Record.objects.get(entity__key=person(n)["id_number"]).place_id


def test_a_merged_upload_creates_its_records_where_intake_placed_the_rows(tmp_path, sample_villages, officer_a):
    rows = [[*P0101_ROWS[0][:7], "东山路189号", "示例社区02第2网格"], [*P0101_ROWS[1][:7], "东山街道示例社区01", ""]]
    path = write_xlsx(tmp_path / "placed.xlsx", rows, [*P0101_HEADERS, "所属网格"])
    (batch,) = intake.create_batches(path, original_name=path.name, region_code=TOWNSHIP_A)
    merge_batch(intake.verify_batch(batch), acting_user=officer_a)
    assert dict(Record.objects.values_list("entity__key", "place_id")) == {
        P0101_ROWS[0][1]: GRID_A2,
        P0101_ROWS[1][1]: VILLAGE_A,
    }


def test_an_update_changing_the_grid_places_the_record_again(sample_villages, officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="示例社区01第1网格")]), acting_user=officer_a)
    assert place_of(1) == TOWNSHIP_A  # a row staged without a place starts in its township
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="示例社区02第2网格")]), acting_user=officer_a)
    assert place_of(1) == GRID_A2


def test_the_merge_places_from_the_merged_values_not_the_row_alone(sample_villages, officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="第2网格")]), acting_user=officer_a)
    # The later file has no grid column: the address names the village, the stored grid number the grid.
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, current_address="东山街道示例社区02")]), acting_user=officer_a)
    assert place_of(1) == GRID_A2


def test_a_manual_place_holds_through_updates_of_other_items(sample_villages, officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    record = Record.objects.get()
    assert place_manually([record.pk], GRID_A, acting_user=collector_a) == 1
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13900000009")]), acting_user=officer_a)
    record.refresh_from_db()
    assert (record.place_id, record.place_manual) == (GRID_A, True)
    assert place_records(TOWNSHIP_A).changed == 0 and Record.objects.get().place_id == GRID_A


def test_a_manual_place_gives_way_when_the_grid_changes(sample_villages, officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    place_manually([Record.objects.get().pk], GRID_A, acting_user=collector_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="示例社区02第02网格")]), acting_user=officer_a)
    record = Record.objects.get()
    assert (record.place_id, record.place_manual) == (GRID_A2, False)


def test_new_villages_and_grids_place_the_records_already_there(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="示例社区01第01网格"), person(2)]), acting_user=officer_a)
    assert {place_of(1), place_of(2)} == {TOWNSHIP_A}
    generate_sample_villages([TOWNSHIP_A], villages=2, grids=2)  # tells basedb through regions.placement
    assert (place_of(1), place_of(2)) == (GRID_A, TOWNSHIP_A)


def test_placing_records_again_is_idempotent(sample_villages, officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n, grid=f"示例社区0{n}第0{n}网格") for n in (1, 2, 3)]),
                acting_user=officer_a)  # fmt: skip
    first = place_records(TOWNSHIP_A)
    assert (first.records, first.changed, first.levels) == (3, 3, {"grid": 3})
    assert place_records(TOWNSHIP_A).changed == 0
    assert place_of(3) == "370602002903003"


def test_a_manual_place_must_be_a_village_or_grid_of_the_records_township(sample_villages, officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    ids = [Record.objects.get().pk]
    with pytest.raises(PermissionDenied):
        place_manually(ids, GRID_B, acting_user=collector_a)  # not a township the collector uploads for
    with pytest.raises(ValidationError):
        place_manually(ids, TOWNSHIP_A, acting_user=collector_a)  # a township is no place to choose
    with pytest.raises(PermissionDenied):
        place_manually(ids, GRID_A, acting_user=officer_a)  # officers review, collectors place
    other = make_user("collector_b2", Role.COLLECTOR, TOWNSHIP_B)
    with pytest.raises(PermissionDenied):
        place_manually(ids, GRID_A, acting_user=other)


def test_reverting_a_batch_places_its_records_again(sample_villages, officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="示例社区01第01网格")]), acting_user=officer_a)
    place_records(TOWNSHIP_A)
    change = staged_batch(TOWNSHIP_A, [person(1, grid="示例社区02第02网格")])
    merge_batch(change, acting_user=officer_a)
    assert place_of(1) == GRID_A2
    revert_batch(change, acting_user=officer_a)
    assert place_of(1) == GRID_A


def test_unplaced_records_are_those_left_in_their_township(sample_villages, officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="示例社区01第01网格"), person(2)]), acting_user=officer_a)
    place_records()
    assert [r.entity.key for r in unplaced(Record.objects.all())] == [person(2)["id_number"]]


def test_a_grid_user_sees_exactly_the_records_of_its_grid(sample_villages, officer_a):
    rows = [person(1, grid="示例社区01第01网格"), person(2, grid="示例社区02第02网格"), person(3)]
    merge_batch(staged_batch(TOWNSHIP_A, rows), acting_user=officer_a)
    place_records()
    grid_worker = make_user("grid_worker", Role.COLLECTOR, GRID_A)
    village_officer = make_user("village_officer", Role.OFFICER, VILLAGE_A)
    assert [r.entity.key for r in Record.objects.restrict(grid_worker)] == [person(1)["id_number"]]
    assert Record.objects.restrict(village_officer).count() == 1
    assert Record.objects.restrict(make_user("township", Role.COLLECTOR, TOWNSHIP_A)).count() == 3
    assert Record.objects.restrict(grid_worker, Action.UPLOAD).count() == 1


def test_the_place_records_command_reports_what_it_did_as_json(sample_villages, officer_a):
    import io
    import json

    from django.core.management import call_command

    merge_batch(staged_batch(TOWNSHIP_A, [person(1, grid="示例社区01第01网格"), person(2)]), acting_user=officer_a)
    out = io.StringIO()
    call_command("place_records", "--region", TOWNSHIP_A, "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert (summary["records"], summary["changed"], summary["levels"]) == (2, 1, {"grid": 1, "township": 1})
