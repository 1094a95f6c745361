"""Records are placed (basedb/placement.py): `place`, the lowest region known (a grid, a village or the township),
by which access is decided, and `place_manual`. Existing records start in their township; `manage.py place_records`
then places them from their grid and address items."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("basedb", "0004_core_references_without_constraints"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="record",
            name="place",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="placed_records",
                to="regions.region",
                verbose_name="落位",
            ),
        ),
        migrations.AddField(
            model_name="record",
            name="place_manual",
            field=models.BooleanField(db_default=False, default=False, verbose_name="人工落位"),
        ),
        migrations.RunSQL("UPDATE basedb_record SET place_id = region_id", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="record",
            name="place",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="placed_records",
                to="regions.region",
                verbose_name="落位",
            ),
        ),
        migrations.RemoveIndex(model_name="record", name="record_subcat_region_id"),
        migrations.AddIndex(
            model_name="record",
            index=models.Index(fields=["subcategory", "place", "id"], name="record_subcat_place_id"),
        ),
        migrations.AddIndex(
            model_name="record",
            index=models.Index(fields=["place", "subcategory"], name="record_place_subcat"),
        ),
    ]
