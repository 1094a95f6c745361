"""Base-database fixtures: batches of staged P0101 rows built directly (no file is read)."""

from django.db import connection

from catalog.models import Subcategory
from collection.choices import BatchStatus
from collection.models import Batch, StagedRow

# Valid 18-digit ID numbers are not needed here: the merge trusts the staged rows' key and validity.
SEXES = ("1", "2")


def person(n: int, **values) -> dict:
    """The values of a P0101 row for person number n (key: its id_number)."""
    return {
        "name": f"测试{n}",
        "id_number": f"370602199001{n:06d}",
        "sex": SEXES[n % 2],
        "ethnicity": "01",
        "birth_date": "1990-01-01",
        "phone": f"138{n:08d}",
        **values,
    }


def staged_batch(region: str, rows: list[dict], *, subcategory: str = "P0101", invalid: set[int] = frozenset(),
                 user=None) -> Batch:  # fmt: skip
    """A batch of `region` awaiting review, one valid staged row per values dict (indexes in `invalid` are not)."""
    batch = Batch.objects.create(
        file="uploads/test.xlsx",
        original_name="测试.xlsx",
        sha256="0" * 64,
        region_id=region,
        subcategory=Subcategory.objects.get(code=subcategory),
        status=BatchStatus.PENDING_REVIEW,
        uploaded_by=user,
        rows=len(rows),
    )
    StagedRow.objects.bulk_create(
        StagedRow(batch=batch, row=i + 2, values=v, key=v.get("id_number"), is_valid=i not in invalid)
        for i, v in enumerate(rows)
    )
    return batch


def on_postgres() -> bool:
    return connection.vendor == "postgresql"
