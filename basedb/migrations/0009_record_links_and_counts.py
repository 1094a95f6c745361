# ruff: noqa: S608  -- SQL strings interpolate only table names and placeholders.
"""The link index (RecordLink) and the record counts (RecordCount) of basedb/summaries.py, filled here from the
records (issue 16): the entity page finds the records naming an entity through the (kind, key) index instead of
reading every record's values, and the board sums a few thousand counts instead of counting every record. The same
statements as basedb/summaries.py (rebuild_counts, index_links), written out so this migration does not change
with that module."""

import django.db.models.deletion
from django.db import migrations, models


def _pointers(apps) -> list[tuple[int, str, str]]:
    """(subcategory id, item key, kind named) of every pointing item (catalog/pointers.py)."""
    DataItem = apps.get_model("catalog", "DataItem")
    rows = (
        DataItem.objects.exclude(element__refers_to="")
        .order_by("subcategory_id", "order", "id")
        .values_list("subcategory_id", "subcategory__key_items", "element__key", "element__refers_to")
    )
    return [(sub, item, kind) for sub, keys, item, kind in rows if item not in (keys or ())]


def fill(apps, schema_editor):
    pg = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO basedb_recordcount (region_id, place_id, subcategory_id, records) "
            "SELECT region_id, place_id, subcategory_id, COUNT(*) FROM basedb_record WHERE status = 'active' "
            "GROUP BY region_id, place_id, subcategory_id"
        )
        pointers = _pointers(apps)
        if not pointers:
            return
        if pg:
            value, is_text = 'r."values" ->> p.column2', "jsonb_typeof(r.\"values\" -> p.column2) = 'string'"
        else:
            value = "json_extract(r.\"values\", '$.' || p.column2)"
            is_text = "json_type(r.\"values\", '$.' || p.column2) = 'text'"
        values = ", ".join(["(%s, %s, %s)"] * len(pointers))
        cursor.execute(
            f"INSERT INTO basedb_recordlink (record_id, item, kind, key) SELECT r.id, p.column2, p.column3, {value} "
            f"FROM basedb_record AS r JOIN (VALUES {values}) AS p ON p.column1 = r.subcategory_id "
            f"WHERE {is_text} AND {value} <> '' AND LENGTH({value}) <= 200",
            [v for row in pointers for v in row],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("basedb", "0008_unused_indexes"),
        ("catalog", "0002_dataelement_roles"),
        ("regions", "0010_audit_verbs_webhooks"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("records", models.IntegerField(verbose_name="记录数变化")),
                (
                    "place",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="regions.region",
                        verbose_name="落位",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="regions.region",
                        verbose_name="乡镇（街道）",
                    ),
                ),
                (
                    "subcategory",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.subcategory",
                        verbose_name="数据子类",
                    ),
                ),
            ],
            options={
                "verbose_name": "记录计数",
                "verbose_name_plural": "记录计数",
                "indexes": [models.Index(fields=["place", "subcategory"], name="recordcount_place_subcat")],
            },
        ),
        migrations.CreateModel(
            name="RecordLink",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("item", models.CharField(max_length=64, verbose_name="数据项")),
                ("kind", models.CharField(max_length=20, verbose_name="关联主体类型")),
                ("key", models.CharField(max_length=200, verbose_name="关联主体标识")),
                (
                    "record",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="links",
                        to="basedb.record",
                        verbose_name="记录",
                    ),
                ),
            ],
            options={
                "verbose_name": "记录关联",
                "verbose_name_plural": "记录关联",
                "indexes": [
                    models.Index(fields=["kind", "key"], name="recordlink_kind_key"),
                    models.Index(fields=["record"], name="recordlink_record"),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
