"""The progress board: figures per township and subcategory, county filter, sorting, chart, export, query count."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from basedb.board import chart, sort_rows, subcategory_rows, township_rows
from basedb.merge import merge_batch
from collection.models import Batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B, login

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


@pytest.fixture
def figures(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2), person(3)], invalid={2}), acting_user=officer_a)
    staged_batch(TOWNSHIP_A, [person(4)])
    merge_batch(staged_batch(TOWNSHIP_B, [person(1, phone="13700000000")]), acting_user=officer_a)  # a conflict
    Batch.objects.update(valid=0)
    for batch in Batch.objects.all():
        batch.valid = batch.staged_rows.filter(is_valid=True).count()
        batch.save(update_fields=["valid"])


def by_code(rows):
    return {r.code: r for r in rows}


def test_township_figures(figures, officer_a):
    rows = by_code(township_rows(officer_a))
    a, b = rows[TOWNSHIP_A], rows[TOWNSHIP_B]
    assert (a.batches, a.rows, a.valid, a.records, a.conflicts) == (2, 4, 3, 2, 0)
    assert a.valid_rate == 75.0 and a.last_upload is not None
    assert (b.batches, b.records, b.conflicts) == (1, 0, 1)


def test_subcategory_figures(figures, officer_a):
    (p0101,) = subcategory_rows(officer_a)
    assert (p0101.code, p0101.batches, p0101.rows, p0101.records, p0101.conflicts) == ("P0101", 3, 5, 2, 1)


def test_the_county_filter_and_the_region_scope(figures, officer_a, other_county_officer, city_officer):
    assert all(r.code.startswith("370602") for r in township_rows(officer_a))
    assert not any(r.batches for r in township_rows(other_county_officer))
    assert len(township_rows(city_officer)) > len(township_rows(city_officer, county="370602"))
    assert not any(r.records for r in township_rows(city_officer, county="370611"))


def test_sorting_puts_the_largest_first_and_empty_values_last(figures, officer_a):
    rows = sort_rows(township_rows(officer_a), "-records")
    assert rows[0].code == TOWNSHIP_A
    rates = sort_rows(township_rows(officer_a), "valid_rate")
    assert rates[0].valid_rate is not None and rates[-1].valid_rate is None


def test_the_chart_scales_bars_to_the_largest_value(figures, officer_a):
    bars = chart(sort_rows(township_rows(officer_a), "-records"))["bars"]
    assert bars[0]["width"] == 100 and bars[-1]["width"] == 0


def test_the_board_query_count_does_not_grow_with_townships(client, figures, officer_a, city_officer):
    login(client, officer_a)
    with CaptureQueriesContext(connection) as county:
        client.get(reverse("basedb:board"))
    login(client, city_officer)
    with CaptureQueriesContext(connection) as city:  # the whole city: ~159 townships
        response = client.get(reverse("basedb:board"))
    assert response.content.decode().count("data-code=") > 100
    assert len(city) == len(county) <= 20  # the township table, the subcategories and the drill-down level


def test_the_board_page_and_the_home_page_of_an_officer(client, figures, officer_a):
    login(client, officer_a)
    page = client.get(reverse("basedb:board"), {"county": "370602", "sort": "-records"}).content.decode()
    assert "<svg" in page and 'data-code="370602002"' in page
    assert "归集进度" in client.get("/").content.decode()


def test_a_collectors_home_page_shows_their_township_only(client, figures, collector_a):
    page = login(client, collector_a).get("/").content.decode()
    assert "东山街道" in page and "向阳街道" not in page


def test_the_export_is_an_xlsx_with_both_tables_and_text_kept_as_text(client, figures, officer_a):
    response = login(client, officer_a).get(reverse("basedb:board_export"))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    townships, subcategories = workbook.worksheets
    codes = {townships.cell(r, 1).value: r for r in range(2, townships.max_row + 1)}
    assert townships.cell(codes[TOWNSHIP_A], 8).value == 2  # records
    assert subcategories.cell(2, 1).value == "P0101"
    assert all(townships.cell(r, 2).data_type == "s" for r in range(2, townships.max_row + 1))


def test_the_board_needs_a_login(client):
    assert reverse("login") in client.get(reverse("basedb:board"))["Location"]
