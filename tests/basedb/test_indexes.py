"""The base database's tables carry only indexes a query uses (issue 16 part 1, docs/performance.md): no
`varchar_pattern_ops` twin of any index (nothing looks them up with LIKE 'x%'; regions are scoped by code ranges)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

TABLES = (
    "basedb_entity",
    "basedb_record",
    "basedb_recordversion",
    "basedb_conflict",
    "basedb_mergerun",
    "basedb_recordlink",
    "basedb_recordcount",
)


def _indexes() -> dict[str, str]:
    if connection.vendor != "postgresql":
        pytest.skip("index definitions are checked on PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(TABLES)])
        return dict(cursor.fetchall())


def test_no_base_database_table_has_a_pattern_index():
    assert [name for name, definition in _indexes().items() if "pattern_ops" in definition] == []


def test_entities_keep_their_region_index_for_scoping_and_their_public_id_unique():
    indexes = _indexes()
    assert any(d.endswith("USING btree (region_id)") for n, d in indexes.items() if n.startswith("basedb_entity_"))
    assert "basedb_entity_public_id_key" in indexes


def test_conflicts_are_indexed_by_region_through_their_status_indexes_only():
    conflict = {name for name, definition in _indexes().items() if "region_id" in definition and "conflict" in name}
    assert conflict == {"conflict_incoming_status", "conflict_existing_status"}
