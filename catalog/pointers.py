"""The catalog's pointing items, all subcategories at once: which items name another entity (their element's
`refers_to`), the subcategory's own key items excepted, as catalog.spec.TableSpec.pointing_items says for one.

The base database keeps an index of the values of these items (basedb.models.RecordLink); a catalog load that
changes them tells its subscribers which subcategories to index again (the base database registers itself at
start-up: the catalog never imports it).
"""

from collections.abc import Callable

from .models import DataItem

Pointers = dict[int, tuple[tuple[str, str], ...]]  # {subcategory id: ((item key, kind named), ...)}


def pointing_items(data_item=None) -> Pointers:
    """The pointing items of every subcategory (active or retired) that has any, in item order, in one query.
    `data_item`: a migration's historical DataItem model (default: the current one)."""
    rows = (
        (data_item or DataItem)
        .objects.exclude(element__refers_to="")
        .order_by("subcategory_id", "order", "id")
        .values_list("subcategory_id", "subcategory__key_items", "element__key", "element__refers_to")
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for subcategory, key_items, item, kind in rows:
        if item not in (key_items or ()):
            found.setdefault(subcategory, []).append((item, kind))
    return {subcategory: tuple(items) for subcategory, items in found.items()}


_subscribers: list[Callable[[list[int]], None]] = []


def subscribe_to_pointer_changes(callback: Callable[[list[int]], None]) -> None:
    """Call `callback(subcategory ids)` after a catalog load changed the pointing items of these subcategories.
    Idempotent."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def pointers_changed(before: Pointers, after: Pointers) -> None:
    """Tell the subscribers which subcategories' pointing items differ between `before` and `after`."""
    changed = sorted(s for s in before.keys() | after.keys() if before.get(s) != after.get(s))
    if changed:
        for callback in list(_subscribers):
            callback(changed)
