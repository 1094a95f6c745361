"""Drill-down by region level (board, record list, export) and the unplaced-records page: known counts, valid rates and
placement rates at every level, and the bulk placement tool."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from basedb.board import BoardRow
from basedb.levels import level_for, level_rows
from basedb.merge import merge_batch
from basedb.models import Record
from basedb.placement import derive_places
from regions.placement import Placer
from tests.conftest import GRID_A, GRID_A2, GRID_B, TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A, login

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "sample_villages")


def placed_batch(region: str, rows: list[dict], invalid=frozenset()):
    """A staged batch whose rows carry the places intake would have found."""
    batch = staged_batch(region, rows, invalid=invalid)
    staged = list(batch.staged_rows.order_by("row"))
    for row, place in zip(staged, derive_places(Placer(), region, [r.values for r in staged]), strict=True):
        row.place = place
        row.save(update_fields=["place"])
    batch.valid = len(rows) - len(invalid)
    batch.save(update_fields=["valid"])
    return batch


@pytest.fixture
def town(officer_a):
    """东山街道: 1 in GRID_A, 1 in GRID_A2, 1 in VILLAGE_A only (its address), 1 unplaced, 1 invalid row (GRID_A);
    向阳街道: 1 in GRID_B."""
    rows = [person(1, grid=GRID_A), person(2, grid="示例社区02第2网格"),
            person(3, current_address="东山街道示例社区01"), person(4), person(5, grid=GRID_A)]  # fmt: skip
    merge_batch(placed_batch(TOWNSHIP_A, rows, invalid={4}), acting_user=officer_a)
    merge_batch(placed_batch(TOWNSHIP_B, [person(10, grid=GRID_B)]), acting_user=officer_a)


def figures(user, code) -> dict:
    rows = level_rows(user, level_for(user, code))
    return {("leftover" if r.leftover else r.code): (r.records, r.placement_rate, r.rows, r.valid_rate) for r in rows}


def test_the_city_and_county_levels_count_records_and_placement_rates(town, city_officer):
    assert figures(city_officer, "3706")["370602"][:2] == (5, 80.0)
    county = figures(city_officer, "370602")
    assert county[TOWNSHIP_A] == (4, 75.0, 5, 80.0) and county[TOWNSHIP_B] == (1, 100.0, 1, 100.0)


def test_a_township_level_rows_its_villages_and_the_records_left_in_the_township(town, officer_a):
    township = figures(officer_a, TOWNSHIP_A)
    assert township[VILLAGE_A] == (2, 50.0, 3, 66.7)  # GRID_A and the village-only record; the invalid row counted
    assert township["370602002902"] == (1, 100.0, 1, 100.0)
    assert township["370602002903"] == (0, None, 0, None)
    assert township["leftover"][:3] == (1, 0.0, 1)


def test_a_village_level_rows_its_grids(town, officer_a):
    village = figures(officer_a, VILLAGE_A)
    assert village[GRID_A][:2] == (1, 100.0) and village["370602002901002"][0] == 0
    assert village["leftover"][0] == 1


def test_a_collector_drills_through_its_own_township_only(town, collector_a, other_county_officer):
    assert set(figures(collector_a, "370602")) == {TOWNSHIP_A}
    assert level_for(other_county_officer, TOWNSHIP_A) is None


def test_the_board_page_drills_down_and_answers_404_outside_the_users_region(client, town, officer_a, collector_b):
    page = login(client, officer_a).get(reverse("basedb:board"), {"region": TOWNSHIP_A}).content.decode()
    assert 'data-level-code="370602002901"' in page and "未落到村（社区）" in page and "50.0%" in page
    assert login(client, collector_b).get(reverse("basedb:board"), {"region": TOWNSHIP_A}).status_code == 404


def test_the_export_follows_the_level_shown(client, town, officer_a):
    response = login(client, officer_a).get(reverse("basedb:board_export"), {"region": TOWNSHIP_A})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert sheet.title == "东山街道·按村（社区）"
    rows = {sheet.cell(r, 2).value: r for r in range(2, sheet.max_row + 1)}
    assert (
        sheet.cell(rows["东山街道示例社区01"], 8).value == 2 and sheet.cell(rows["东山街道示例社区01"], 9).value == 50.0
    )
    assert sheet.cell(rows["未落到村（社区）"], 8).value == 1


def test_the_record_list_drills_down_by_place(client, town, officer_a):
    login(client, officer_a)
    page = client.get(reverse("basedb:record_list"), {"region": VILLAGE_A}).content.decode()
    assert page.count('href="/basedb/records/') == 2 and "未落到网格" in page
    assert client.get(reverse("basedb:record_list"), {"region": "370611"}).status_code == 404


def test_the_board_total_sums_the_level(town, officer_a):
    rows = level_rows(officer_a, level_for(officer_a, TOWNSHIP_A))
    assert sum(r.records for r in rows) == 4 and isinstance(rows[-1], BoardRow) and rows[-1].leftover


# ---- the unplaced-records page ---------------------------------------------------------------------------------


def unplaced_url(code=TOWNSHIP_A) -> str:
    return reverse("basedb:unplaced_list", args=[code])


def test_a_collector_places_the_selected_records_in_a_grid(client, town, collector_a):
    login(client, collector_a)
    page = client.get(unplaced_url()).content.decode()
    record = Record.objects.get(entity__key=person(4)["id_number"])
    assert f'data-record="{record.pk}"' in page and page.count("data-record=") == 1
    response = client.post(unplaced_url(), {"records": [record.pk], "place": GRID_A2}, follow=True)
    assert "已将 1 条记录落到东山街道示例社区02第02网格" in response.content.decode()
    record.refresh_from_db()
    assert (record.place_id, record.place_manual) == (GRID_A2, True)
    assert "没有未落位的记录" in client.get(unplaced_url()).content.decode()


def test_placing_needs_a_choice_of_records_and_place(client, town, collector_a):
    response = login(client, collector_a).post(unplaced_url(), {"place": GRID_A}, follow=True)
    assert "请先勾选记录" in response.content.decode()


def test_an_officer_sees_the_unplaced_records_without_the_tool(client, town, officer_a):
    login(client, officer_a)
    page = client.get(unplaced_url()).content.decode()
    assert "data-record=" in page and 'id="place-submit"' not in page
    record = Record.objects.get(entity__key=person(4)["id_number"])
    assert client.post(unplaced_url(), {"records": [record.pk], "place": GRID_A}).status_code == 404


def test_another_townships_unplaced_page_is_not_found(client, town, collector_b):
    assert login(client, collector_b).get(unplaced_url()).status_code == 404
    assert login(client, collector_b).get(unplaced_url("370602")).status_code == 404
