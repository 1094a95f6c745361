# ruff: noqa: S608  -- SQL strings interpolate only model table names.
"""Referential integrity of the base database's bulk tables, which carry no database foreign-key constraint towards
their parents (record → entity, version → record; see basedb/models.py): every write path leaves no orphan, and
Django still protects entities and cascades versions on delete."""

import pytest
from django.db import connection
from django.db.models import ProtectedError

from basedb.conflicts import resolve_conflict
from basedb.merge import merge_batch
from basedb.models import Conflict, Entity, Record, RecordVersion
from basedb.revert import revert_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def orphans() -> dict[str, int]:
    """Rows whose parent does not exist, counted in SQL (no ORM join that would hide them)."""
    queries = {
        "records without entity": f"SELECT COUNT(*) FROM {Record._meta.db_table} AS r "
        f"LEFT JOIN {Entity._meta.db_table} AS e ON e.id = r.entity_id WHERE e.id IS NULL",
        "versions without record": f"SELECT COUNT(*) FROM {RecordVersion._meta.db_table} AS v "
        f"LEFT JOIN {Record._meta.db_table} AS r ON r.id = v.record_id WHERE r.id IS NULL",
        "records without create version": f"SELECT COUNT(*) FROM {Record._meta.db_table} AS r WHERE NOT EXISTS "
        f"(SELECT 1 FROM {RecordVersion._meta.db_table} AS v WHERE v.record_id = r.id AND v.version = 1)",
    }
    with connection.cursor() as cursor:
        found = {}
        for name, sql in queries.items():
            cursor.execute(sql)
            found[name] = cursor.fetchone()[0]
    return found


def test_merges_updates_conflicts_resolutions_and_reverts_leave_no_orphan(officer_a):
    first = staged_batch(TOWNSHIP_A, [person(n) for n in range(40)])
    merge_batch(first, acting_user=officer_a)
    changed = staged_batch(TOWNSHIP_A, [person(n, phone=f"1390000{n:04d}") for n in range(20, 60)])
    merge_batch(changed, acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_B, [person(n) for n in range(50, 70)]), acting_user=officer_a)
    for conflict in Conflict.objects.all()[:5]:
        resolve_conflict(conflict, decision="take_new", acting_user=officer_a)
    revert_batch(changed, acting_user=officer_a)
    merge_batch(changed, acting_user=officer_a)
    assert Record.objects.count() == 70 and RecordVersion.objects.count() > 70
    assert orphans() == {"records without entity": 0, "versions without record": 0,
                         "records without create version": 0}  # fmt: skip


def test_the_orphan_check_sees_a_record_whose_entity_is_gone(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    with connection.cursor() as cursor:  # what a database constraint would have refused
        cursor.execute(f"DELETE FROM {Entity._meta.db_table}")
    assert orphans()["records without entity"] == 1


def test_django_still_protects_entities_and_cascades_versions(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(3)]), acting_user=officer_a)
    with pytest.raises(ProtectedError):
        Entity.objects.first().delete()
    record = Record.objects.first()
    record.delete()
    assert not RecordVersion.objects.filter(record_id=record.pk).exists()
    assert orphans()["versions without record"] == 0
