"""How the work-list table is stored on PostgreSQL: only the indexes a query uses, and room on its pages so that an
evaluation's refresh of an entry stays on the entry's page (docs/performance.md, issue 13)."""

import pytest
from django.db import connection

from matching.models import WorkEntry

pytestmark = pytest.mark.django_db

TABLE = WorkEntry._meta.db_table
# Each with the query that needs it; a foreign key's automatic index is not in the list unless a query reads by it.
INDEXES = {
    "matching_workentry_pkey",  # the primary key
    "uniq_entry_rule_entity",  # an entry's identity; evaluation joins hits to entries by it
    "entry_rule_region_status",  # counts per township of a rule; a region's evaluation
    "entry_place_rule",  # every user's scope (a place code range), the grid pages
    "entry_opened_run",  # an incremental run's counts (opened or closed by the run)
    "entry_closed_run_set",  # the same (partial: closed entries only)
    "entry_fact_set",  # Django's PROTECT when a fact is deleted (partial: entries with feedback)
    "entry_handled_by_set",  # Django's SET_NULL when a user is deleted (partial)
    "entry_correction_set",  # Django's SET_NULL when a correction batch is deleted (partial)
}


def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("index names and storage parameters are checked on PostgreSQL")


def test_the_work_list_table_has_only_the_indexes_a_query_uses():
    _postgresql_only()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
        names = {name for (name,) in cursor.fetchall()}
    entity = {name for name in names if name.startswith(f"{TABLE}_entity_id_")}  # the card of a person
    assert len(entity) == 1
    assert names - entity == INDEXES


def test_work_list_pages_keep_room_for_refreshed_entries():
    _postgresql_only()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [TABLE])
        (options,) = cursor.fetchone()
    assert "fillfactor=70" in (options or [])


def test_a_refresh_writes_no_indexed_column_so_it_can_stay_on_the_page():
    """The columns `_refresh` (matching/evaluation.py) changes for a merged record are in no index of the table; it
    writes the township and place too, indexed, but they change only when the record moved."""
    refreshed = {"evaluated_at", "rule_version", "record", "facts"}
    indexed = {field for index in WorkEntry._meta.indexes for field in index.fields}
    indexed |= {field for constraint in WorkEntry._meta.constraints for field in getattr(constraint, "fields", ())}
    indexed |= {field.name for field in WorkEntry._meta.fields if field.db_index}
    assert not refreshed & indexed
