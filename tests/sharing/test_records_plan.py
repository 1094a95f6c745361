"""/records/ reads a page in index order (PostgreSQL): the (subcategory, region, id) index serves the keyset order,
so a page reads about a page of entries instead of sorting every record of the region (issue 16)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sharing.auth import ClientPrincipal
from sharing.reads import records_page
from tests.conftest import COUNTY_A, TOWNSHIP_A

from .conftest import make_client

pytestmark = pytest.mark.usefixtures("base_data")


def test_a_records_page_is_read_in_index_order_without_sorting():
    if connection.vendor != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL")
    client, _token = make_client()
    with CaptureQueriesContext(connection) as queries:
        records_page(ClientPrincipal(client), subcategory="P0101", region=COUNTY_A, after=(TOWNSHIP_A, 0))
    (page,) = [q["sql"] for q in queries.captured_queries if 'FROM "basedb_record"' in q["sql"]]
    with connection.cursor() as cursor:
        # A few test rows make any sort look free: the plan without one exists only when an index gives the order.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "record_subcat_region_id" in plan and "Sort" not in plan, plan
