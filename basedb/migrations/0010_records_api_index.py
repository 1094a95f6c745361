"""The sharing API's /records/ pages a subcategory in (township, id) order after a keyset cursor (sharing/reads.py);
with only the (subcategory, place, id) index every page read and sorted all of the region's records of the
subcategory (28,836 for a county at 1,000,000 records, ten times more at 13 million). This index serves the page
in order: about a page of entries (issue 16)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("basedb", "0009_record_links_and_counts"),
        ("catalog", "0002_dataelement_roles"),
        ("collection", "0012_batch_lease"),
        ("regions", "0010_audit_verbs_webhooks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="record",
            index=models.Index(fields=["subcategory", "region", "id"], name="record_subcat_region_id"),
        ),
    ]
