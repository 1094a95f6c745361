"""Reading a record's history: its versions, and for each item who reported the current value, when, by which batch.

The record page and the entity (360°) view show these; the data comes only from RecordVersion rows.
"""

from dataclasses import dataclass
from datetime import datetime

from .models import Entity, Record, RecordVersion


@dataclass(frozen=True)
class Provenance:
    """Where the current value of one item came from."""

    item: str
    value: object
    version: int
    action: str
    batch_id: int | None
    region_id: str
    user: str | None
    at: datetime


def record_versions(record: Record) -> list[RecordVersion]:
    """The record's versions, newest first, with batch and acting user loaded."""
    return list(record.versions.select_related("batch", "acting_user", "region").order_by("-version", "-id"))


def value_provenance(record: Record) -> dict[str, Provenance]:
    """For every item with a value, the latest version that set it (who reported which value when)."""
    found: dict[str, Provenance] = {}
    for version in record_versions(record):
        for item, change in version.changes.items():
            if item in found or item not in record.values:
                continue
            user = version.acting_user.get_username() if version.acting_user_id else None
            found[item] = Provenance(
                item, change[1], version.version, version.action, version.batch_id, version.region_id, user,
                version.created_at,
            )  # fmt: skip
    return found


def entity_records(entity: Entity) -> list[Record]:
    """All records of one entity across subcategories (the 360° view), active first."""
    return list(
        entity.records.select_related("subcategory", "region", "last_batch").order_by("status", "subcategory__code")
    )


# Writers of RecordVersion rows take this PostgreSQL advisory lock (held until commit) before their first version:
# version ids then become visible in id order, so the sharing API's change feed, which pages by id, never steps
# over a version that a concurrent transaction commits later. SQLite already has a single writer.
CHANGE_FEED_LOCK = 370_600_001


def lock_change_feed() -> None:
    """Serialise RecordVersion writers until the end of the current transaction (PostgreSQL only)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_FEED_LOCK])


def notify_subscribers() -> None:
    """After the current transaction commits, let the sharing app scan the change feed for its webhooks."""
    from django.db import transaction

    def enqueue() -> None:
        from sharing.tasks import scan_webhooks_task

        scan_webhooks_task.enqueue()

    transaction.on_commit(enqueue)
