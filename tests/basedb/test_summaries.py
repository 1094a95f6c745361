"""The link index and the record counts (basedb/summaries.py) stay equal to what the records say through every writer:
the merge (creates, updates, restores), conflict resolution, revert, manual and derived placement; compaction keeps
the sums; a catalog change of pointing items indexes the records again; the entity page's incoming links and the
board read them (issue 16)."""

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from basedb.choices import RecordStatus, Resolution
from basedb.conflicts import resolve_conflict
from basedb.links import incoming_links
from basedb.merge import merge_batch
from basedb.models import Conflict, Entity, Record, RecordCount, RecordLink
from basedb.placement import place_manually, place_records
from basedb.revert import revert_batch
from basedb.summaries import compact_counts, rebuild_counts, rebuild_links
from catalog.models import Subcategory
from catalog.pointers import pointers_changed, pointing_items
from catalog.specs_build import build_table_spec
from tests.conftest import GRID_A, TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def counts_kept() -> dict:
    rows = RecordCount.objects.values("region_id", "place_id", "subcategory_id").annotate(n=Sum("records"))
    return {(r["region_id"], r["place_id"], r["subcategory_id"]): r["n"] for r in rows if r["n"]}


def counts_of_records() -> dict:
    rows = (
        Record.objects.filter(status=RecordStatus.ACTIVE)
        .values("region_id", "place_id", "subcategory_id")
        .annotate(n=Count("id"))
    )
    return {(r["region_id"], r["place_id"], r["subcategory_id"]): r["n"] for r in rows}


def links_of_records() -> set:
    found = set()
    for record in Record.objects.select_related("subcategory"):
        for item in build_table_spec(record.subcategory.code).pointing_items():
            value = record.values.get(item.key)
            if isinstance(value, str) and value:
                found.add((record.pk, item.key, item.reference_kind, value))
    return found


def assert_summaries_match_the_records():
    assert counts_kept() == counts_of_records()
    assert set(RecordLink.objects.values_list("record_id", "item", "kind", "key")) == links_of_records()


def house(code: str, owner: int, region: str = TOWNSHIP_A, **values):
    values = {"house_code": code, "address": "东山街道1号", "owner_id_number": person(owner)["id_number"], **values}
    batch = staged_batch(region, [values], subcategory="H0101")
    batch.staged_rows.update(key=code)
    return batch


def test_merged_creates_and_updates_keep_links_and_counts(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 4)]), acting_user=officer_a)
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    merge_batch(house("H370602002002", owner=2), acting_user=officer_a)
    assert RecordLink.objects.count() == 2 and sum(counts_kept().values()) == 5
    merge_batch(house("H370602002001", owner=3), acting_user=officer_a)  # the owner changes
    assert_summaries_match_the_records()


def test_a_changed_owner_moves_the_incoming_link_to_the_new_owner(officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2)]), acting_user=officer_a)
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    first, second = (Entity.objects.get(key=person(n)["id_number"]) for n in (1, 2))
    assert [link.item for link in incoming_links(first, collector_a)] == ["产权人身份证号"]
    merge_batch(house("H370602002001", owner=2), acting_user=officer_a)
    assert incoming_links(first, collector_a) == []
    assert [link.entity.key for link in incoming_links(second, collector_a)] == ["H370602002001"]


def test_incoming_links_read_the_link_index_not_every_records_values(officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    owner = Entity.objects.get(kind="person")
    with CaptureQueriesContext(connection) as queries:
        assert len(incoming_links(owner, collector_a)) == 1
    (found,) = [q["sql"] for q in queries.captured_queries if "basedb_recordlink" in q["sql"]]
    assert '"values"' not in found.split("WHERE", 1)[1]


def test_incoming_links_stay_scoped_to_the_users_region(officer_a, collector_b):
    merge_batch(staged_batch(TOWNSHIP_B, [person(1)]), acting_user=officer_a)
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)  # held by township A
    assert incoming_links(Entity.objects.get(kind="person"), collector_b) == []


def test_a_resolution_moving_the_record_to_the_other_township_moves_its_count(officer_a):
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    merge_batch(house("H370602002001", owner=2, region=TOWNSHIP_B), acting_user=officer_a)
    resolve_conflict(Conflict.objects.get(), decision=Resolution.TAKE_NEW, acting_user=officer_a)
    assert Record.objects.get().region_id == TOWNSHIP_B
    assert_summaries_match_the_records()


def test_a_revert_retires_counts_and_restores_links(officer_a):
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    second = house("H370602002001", owner=2)
    merge_batch(second, acting_user=officer_a)
    created = staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 4)])
    merge_batch(created, acting_user=officer_a)
    revert_batch(created, acting_user=officer_a)
    revert_batch(second, acting_user=officer_a)
    assert RecordLink.objects.get().key == person(1)["id_number"]
    assert_summaries_match_the_records()


def test_manual_and_derived_places_move_the_counts(sample_villages, officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2, grid="示例社区02第2网格")]), acting_user=officer_a)
    place_manually([Record.objects.get(entity__key=person(1)["id_number"]).pk], GRID_A, acting_user=collector_a)
    place_records(TOWNSHIP_A, include_manual=True)
    assert_summaries_match_the_records()
    assert counts_kept()[(TOWNSHIP_A, TOWNSHIP_A, Subcategory.objects.get(code="P0101").pk)] == 1


def test_compaction_folds_rows_and_keeps_the_sums(officer_a):
    for phone in ("13900000001", "13900000002"):
        merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone=phone), person(2)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_B, [person(3)]), acting_user=officer_a)
    RecordCount.objects.create(region_id=TOWNSHIP_A, place_id=TOWNSHIP_A, subcategory_id=1, records=1)
    RecordCount.objects.create(region_id=TOWNSHIP_A, place_id=TOWNSHIP_A, subcategory_id=1, records=-1)
    before = counts_kept()
    compact_counts(TOWNSHIP_A)
    assert counts_kept() == before
    assert RecordCount.objects.filter(place_id=TOWNSHIP_A).count() == 1


def test_rebuilding_gives_what_the_writers_kept(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2)]), acting_user=officer_a)
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    kept, links = counts_kept(), set(RecordLink.objects.values_list("record_id", "item", "kind", "key"))
    rebuild_counts()
    rebuild_links()
    assert counts_kept() == kept
    assert set(RecordLink.objects.values_list("record_id", "item", "kind", "key")) == links


def test_a_catalog_change_of_pointing_items_indexes_their_records_again(officer_a):
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    RecordLink.objects.all().delete()  # as if the catalog had not declared the owner pointing when it was merged
    house_id = Subcategory.objects.get(code="H0101").pk
    pointers_changed({}, {house_id: pointing_items()[house_id]})
    assert RecordLink.objects.get().key == person(1)["id_number"]


def test_the_board_counts_come_from_the_kept_counts(officer_a):
    from basedb.board import township_rows

    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2)]), acting_user=officer_a)
    RecordCount.objects.create(region_id=TOWNSHIP_A, place_id=TOWNSHIP_A, subcategory_id=1, records=5)
    rows = {row.code: row for row in township_rows(officer_a)}
    assert rows[TOWNSHIP_A].records == 7


def test_the_rebuild_command_restores_what_a_bulk_load_left_out(officer_a):
    import io

    from django.core.management import call_command

    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    merge_batch(house("H370602002001", owner=1), acting_user=officer_a)
    RecordLink.objects.all().delete()
    RecordCount.objects.all().delete()
    call_command("rebuild_summaries", stdout=io.StringIO())
    assert_summaries_match_the_records()
    assert RecordLink.objects.count() == 1
