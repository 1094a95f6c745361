"""Room on the work-list table's pages on PostgreSQL, so that an evaluation's refresh of an entry is a HOT update.

Every merge that changes a person's subject record changes the facts of their entries (the record's version is one
of them), and the incremental evaluation rewrites those entries (matching/evaluation.py `_refresh`). None of the
columns it writes is indexed (migration 0002), so with free room on the entry's own page PostgreSQL keeps the new
row version there and adds no index entries. Measured in docs/performance.md (issue 13). Only new pages are
affected until the table is rewritten; SQLite has no such setting.
"""

from django.db import migrations

TABLE = "matching_workentry"


def pages_with_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 70)")


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0002_entry_indexes_in_use"),
    ]

    operations = [migrations.RunPython(pages_with_room, full_pages)]
