"""The data table of a subcategory (数据表, issue 15 item 15): every record of the user's region, one column per
catalog item, search (posted), sort, column choice, filters, page numbers, masked personal items, the xlsx export of
the view, a drill-down by region; paginated at the database."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from basedb.merge import merge_batch
from tests.basedb.conftest import person, staged_batch
from tests.conftest import COUNTY_A, TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.django_db

TABLE = reverse("basedb:record_table", args=["P0101"])


@pytest.fixture
def records(catalog):
    """Twelve people in township A (women even, men odd), two in township B."""
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 13)]), acting_user=None)
    merge_batch(staged_batch(TOWNSHIP_B, [person(n) for n in range(101, 103)]), acting_user=None)


@pytest.fixture
def collector(client, collector_a):
    client.force_login(collector_a)
    return client


def page(client, url=TABLE, **params) -> str:
    """The page's HTML, identifiers unwrapped from their <span class="ident"> (the `ident` filter)."""
    response = client.get(url, params)
    assert response.status_code == 200
    return re.sub(r'<span class="ident">([^<]*)</span>', r"\1", response.content.decode())


def test_the_table_shows_the_townships_records_with_one_column_per_item(collector, records):
    html = page(collector)
    assert "共 12 条记录" in html and "<td>测试12</td>" in html and ">性别<" in html and "女性" in html
    assert "测试101" not in html  # other township


def test_personal_items_are_masked_and_not_sortable(collector, records):
    html = page(collector)
    assert "370602199001000001" not in html and "370602********0001" in html and "138****0001" in html
    assert "1990-01-01" not in html and "（已隐藏）" in html  # the birth date
    assert "sort=id_number" not in html and "sort=birth_date" not in html and "sort=sex" in html
    assert "共 12 条记录" in page(collector, sort="-birth_date")  # ignored, not an error


def test_it_sorts_by_a_column_both_ways(collector, records):
    ascending, descending = page(collector, sort="name"), page(collector, sort="-name")
    assert ascending.index("<td>测试10</td>") < ascending.index("<td>测试2</td>") and "▲" in ascending
    assert descending.index("<td>测试9</td>") < descending.index("<td>测试12</td>") and "▼" in descending
    assert 'href="?sort=-name"' in ascending  # clicking again reverses


def test_a_code_table_filter_keeps_the_matching_records(collector, records):
    women = person(2)["sex"]
    html = page(collector, f_sex=women)
    assert "共 6 条记录" in html and "（已按条件筛选）" in html


def test_an_unknown_filter_value_is_ignored(collector, records):
    assert "共 12 条记录" in page(collector, f_sex="nonsense", f_id_number="370602199001000001")


def test_the_search_is_posted_and_never_in_the_url(collector, records):
    response = collector.post(reverse("basedb:record_table_search", args=["P0101"]), {"q": "370602199001000003"})
    assert response.status_code == 302 and "370602199001" not in response.url
    assert "共 1 条记录" in page(collector, response.url)


def test_a_name_search_matches_the_beginning_of_the_name(collector, records):
    response = collector.post(reverse("basedb:record_table_search", args=["P0101"]), {"q": "测试1"})
    assert "测试" not in response.url
    token = response.url.split("s=")[1]
    assert "共 4 条记录" in page(collector, s=token)  # 测试1, 测试10, 测试11, 测试12


def test_the_chosen_columns_are_kept_in_the_session(collector, records):
    html = page(collector, columns="1", cols=["birth_date", "sex"])
    assert "显示列（2/" in html and "370602********0001" not in html and "女性" in html
    assert "显示列（2/" in page(collector)


def test_pages_are_numbered(collector, catalog):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 61)]), acting_user=None)
    html = page(collector)
    assert "第 1 / 2 页，共 60 条" in html and 'aria-label="第 2 页"' in html


def test_the_page_costs_a_fixed_number_of_queries(collector, records, django_assert_max_num_queries):
    page(collector)
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(200, 260)]), acting_user=None)
    with django_assert_max_num_queries(12):
        page(collector)


def test_an_officer_drills_down_from_the_county(client, officer_a, records):
    client.force_login(officer_a)
    html = page(client, region=COUNTY_A)
    assert "共 14 条记录" in html and f"region={TOWNSHIP_A}" in html
    assert "共 2 条记录" in page(client, region=TOWNSHIP_B)


def test_another_townships_region_is_not_found(collector, records):
    assert collector.get(TABLE, {"region": TOWNSHIP_B}).status_code == 404


def test_an_unknown_subcategory_is_not_found(collector, records):
    assert collector.get(reverse("basedb:record_table", args=["X9999"])).status_code == 404


def test_the_export_holds_the_view_masked(collector, records):
    response = collector.get(reverse("basedb:record_table_export", args=["P0101"]), {"f_sex": person(2)["sex"]})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 7 and "出生日期" in rows[0] and "落位" in rows[0]
    flat = " ".join(str(v) for row in rows for v in row)
    assert "370602199001000002" not in flat and "370602********0002" in flat and "1990-01-01" not in flat
    assert "测试2" in flat and "测试1 " not in flat  # only the women


def test_the_list_of_tables_counts_the_records_of_each_subcategory(collector, records):
    html = page(collector, reverse("basedb:table_list"))
    assert "户籍人口" in html and ">12<" in html


def test_the_list_of_tables_costs_the_same_queries_however_many_subcategories_hold_records(collector, records):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(collector, reverse("basedb:table_list"))
        return len(captured)

    page(collector, reverse("basedb:table_list"))  # the catalog's specs cached, as on any page after the first
    with_one = queries()
    more = ("P0102", "P0104", "P0105", "P0201")
    for code in more:
        merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 4)], subcategory=code), acting_user=None)
    html = page(collector, reverse("basedb:table_list"))
    assert all(f'href="/basedb/tables/{code}/' in html for code in more)
    assert queries() == with_one
