"""Reading a record's history: its versions, and for each item who reported the current value, when, by which batch.

The record page and the entity (360°) view show these; the data comes only from RecordVersion rows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .choices import VersionAction
from .models import Entity, Record, RecordVersion


def change_pairs(action: str, changes: dict | None) -> dict[str, list]:
    """A version's changes as {item: [old, new]}: a create stores the values it created ({item: value}, empty items
    included), every other action stores the pairs themselves."""
    changes = changes or {}
    if action == VersionAction.CREATE:
        return {item: [None, value] for item, value in changes.items() if value is not None and value != ""}
    return changes


@dataclass(frozen=True)
class Provenance:
    """Where the current value of one item came from: who uploaded it (the batch's uploader), from which township,
    in which batch and when; the officer who approved it (or resolved a conflict, reverted) is `approver`."""

    item: str
    value: object
    version: int
    action: str
    batch_id: int | None
    region_id: str
    township: str  # the township's name
    reporter: str | None  # the uploader's full name, else username; None when no batch (e.g. an officer's edit)
    approver: str | None  # the acting user of the version (审核入库人)
    at: datetime  # when the value was uploaded (the batch's upload time), else when the version was written
    merged_at: datetime


def person_name(user) -> str | None:
    """A user as shown on a page: the full name if set, else the username."""
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def record_versions(record: Record) -> list[RecordVersion]:
    """The record's versions, newest first, with batch, its uploader, acting user and township loaded (one query)."""
    return list(
        record.versions.unrestricted("the versions of a record the caller read scoped")
        .select_related("batch__uploaded_by", "acting_user", "region")
        .order_by("-version", "-id")
    )


def value_provenance(record: Record, versions: list[RecordVersion] | None = None) -> dict[str, Provenance]:
    """For every item with a value, the latest version that set it (who reported which value when).

    `versions` are the record's versions newest first (record_versions); read when not given."""
    found: dict[str, Provenance] = {}
    for version in record_versions(record) if versions is None else versions:
        batch = version.batch if version.batch_id else None
        for item, change in version.pairs().items():
            if item in found or item not in record.values:
                continue
            found[item] = Provenance(
                item=item,
                value=change[1],
                version=version.version,
                action=version.action,
                batch_id=version.batch_id,
                region_id=version.region_id,
                township=version.region.name,
                reporter=person_name(batch.uploaded_by) if batch and batch.uploaded_by_id else None,
                approver=person_name(version.acting_user) if version.acting_user_id else None,
                at=batch.created_at if batch else version.created_at,
                merged_at=version.created_at,
            )
    return found


def entity_records(entity: Entity) -> list[Record]:
    """All records of one entity across subcategories (the 360° view), active first."""
    return list(
        entity.records.unrestricted("every record of one entity: system use, a user's page restricts")
        .select_related("subcategory", "region", "last_batch")
        .order_by("status", "subcategory__code")
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


# Callables run after a transaction that changed records commits (the sharing app's webhook scan, for one). The apps
# above basedb add theirs in their AppConfig.ready(): basedb never imports them (docs/decisions.md).
_change_subscribers: list[Callable[[], None]] = []


def subscribe_to_changes(callback: Callable[[], None]) -> None:
    """Run `callback` (no arguments) after every committed transaction that changed records. Idempotent."""
    if callback not in _change_subscribers:
        _change_subscribers.append(callback)


def notify_subscribers() -> None:
    """After the current transaction commits, run every subscriber (see subscribe_to_changes)."""
    from django.db import transaction

    for callback in list(_change_subscribers):
        transaction.on_commit(callback)
