"""Batch.owner: who reports a batch (its township, or the village of a village collector's upload); access to
batches and their rows is decided by it. Existing batches are owned by their township."""

import django.db.models.deletion
from django.db import migrations, models


def owned_by_township(apps, schema_editor):
    Batch = apps.get_model("collection", "Batch")
    Batch.objects.filter(owner__isnull=True).update(owner_id=models.F("region_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("collection", "0010_issue_rule_address_elsewhere"),
        ("regions", "0005_grid_worker_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="batch",
            name="owner",
            field=models.ForeignKey(
                db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="regions.region", verbose_name="上报单位",
                help_text="乡镇（街道），或上报本村（社区）数据的村（社区）",
            ),
        ),
        migrations.RunPython(owned_by_township, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="batch",
            name="owner",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="regions.region", verbose_name="上报单位",
                help_text="乡镇（街道），或上报本村（社区）数据的村（社区）",
            ),
        ),
        migrations.AddIndex(
            model_name="batch",
            index=models.Index(fields=["owner", "status"], name="batch_owner_status"),
        ),
    ]
