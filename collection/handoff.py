"""The hand-off from intake to the base database, filled in by basedb when Django starts.

Dependencies run one way (collection never imports basedb, not even inside a function), yet approving a batch merges
its valid rows, a dry run previews that merge, and verification flags probable duplicates of existing records. basedb
registers these functions here in its AppConfig.ready() (basedb/apps.py); asking for them before anything is
registered raises, so a broken installation fails loudly instead of skipping the merge.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class BaseDatabase:
    """What intake asks of the base database; each result has created/updated/unchanged/conflicts counts."""

    merge_batch: Callable  # (batch, *, acting_user) -> result: merge the batch's valid rows (chunked, resumable)
    preview_batch: Callable  # (batch) -> result: what merge_batch would do, no writes
    # (batch, *, page) -> basedb.preview.ApprovalPreview: counts, a page of updates item by item (masked), the
    # conflicting people with the holding township, the rows left behind; no writes (the officer's 入库预览)
    approval_preview: Callable
    preview_rows: Callable  # (subcategory code, region code, verified frame) -> result, no writes
    flag_probable_duplicates: Callable  # (batch) -> None: 疑似重复 warnings on the batch's staged rows
    # (subcategory code, keys) -> {key: sorted township codes holding the key's entity in active records}: where a
    # department's roster row goes when its file names no township (collection/routing.py)
    township_holders: Callable
    # (entity kind, keys, subcategory code) -> {key: {township: holds the entity's record of that subcategory}} for the
    # townships holding active records of the entity in any subcategory: a house code's house held by another
    # township (collection/placing.py)
    entity_holders: Callable
    # (subcategory code, keys, township) -> {key: sorted places of the township's active records of that subcategory
    # with the key}: which village holds a person a village collector reports (collection/held_elsewhere.py)
    place_holders: Callable
    # (batch) -> {township: {"created": n, "updated": n}}: what the merge of a department's roster wrote per township
    merge_counts_by_township: Callable


_registered: BaseDatabase | None = None


def register(base_database: BaseDatabase) -> None:
    """Called once by the base database's app at start-up."""
    global _registered
    _registered = base_database


def base_database() -> BaseDatabase:
    """The registered base database; ImproperlyConfigured when no app registered one (basedb not installed)."""
    if _registered is None:
        raise ImproperlyConfigured("No base database registered with collection.handoff: is basedb in INSTALLED_APPS?")
    return _registered
