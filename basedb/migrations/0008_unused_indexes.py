"""Indexes nothing uses, removed from the base database's tables (issue 16 part 1).

Django adds a second index, with `varchar_pattern_ops`, beside the index of every indexed or unique varchar column
on PostgreSQL, for `LIKE 'x%'` lookups. Nothing looks entities or conflicts up by a pattern: regions are scoped by
code ranges (regions.models.prefix_bounds), public ids and statuses by equality. So these go: the entity's
`region_id` and `public_id` pattern indexes (every merged entity paid for both: 74 MB for `public_id` at 1,000,000
entities) and the conflict's `status` pattern index. The conflict's own region indexes go too: the two
(region, status) indexes lead with the same columns. Checked with pg_stat_user_indexes and EXPLAIN of the real
queries (docs/performance.md). SQLite has no pattern indexes.
"""

from django.db import migrations, models

PATTERN_INDEXES = (("basedb_entity", "region_id"), ("basedb_entity", "public_id"), ("basedb_conflict", "status"))


def _pattern_index(cursor, table: str, column: str) -> str | None:
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s AND indexdef LIKE %s",
        [table, f"{table}_{column}_%_like", f"%({column} varchar_pattern_ops)%"],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, column in PATTERN_INDEXES:
            name = _pattern_index(cursor, table, column)
            if name:
                schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in PATTERN_INDEXES:
        name = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):
    dependencies = [
        ("basedb", "0007_conflict_kept_difference"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="conflict",
            name="existing_region",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="regions.region",
                verbose_name="已有记录所属乡镇",
            ),
        ),
        migrations.AlterField(
            model_name="conflict",
            name="incoming_region",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="regions.region",
                verbose_name="上报乡镇",
            ),
        ),
        migrations.RunPython(drop_pattern_indexes, create_pattern_indexes),
    ]
