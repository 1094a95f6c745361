"""Entity.public_id: a random token by which pages and the API address an entity (never its key, an ID number).

The column's default is computed by the database (basedb.models.RandomToken), so adding it fills every existing row
with its own token (PostgreSQL evaluates a volatile default per row; SQLite rebuilds the table), and the bulk
merge's raw INSERT gets one without naming the column."""

from django.db import migrations, models

import basedb.models


class Migration(migrations.Migration):
    dependencies = [
        ("basedb", "0005_record_place"),
    ]

    operations = [
        migrations.AddField(
            model_name="entity",
            name="public_id",
            field=models.CharField(
                db_default=basedb.models.RandomToken(),
                editable=False,
                max_length=32,
                unique=True,
                verbose_name="公开编号",
            ),
        ),
    ]
