"""Masking personal items for API clients: minimum necessary disclosure under the PIPL.

An item whose sensitivity is above what a client may read is never returned in clear: it is masked where a masked
form is still useful for a person checking a match (ID number 370602********123X, phone 138****8000, name 张*),
and omitted otherwise.
"""

import re

from catalog.masking import OMIT, mask_name, mask_phone, mask_value  # noqa: F401 (the sharing API's names)
from catalog.spec import DATE, ID_CARD, REFERENCE, SENSITIVITY_ORDER
from grassroots.text import mask_id_number  # noqa: F401


def sensitivity_rank(level: str) -> int:
    return SENSITIVITY_ORDER.index(level) if level in SENSITIVITY_ORDER else len(SENSITIVITY_ORDER)


def allowed(item_sensitivity: str, client_sensitivity: str) -> bool:
    """May a client cleared up to `client_sensitivity` read an item of `item_sensitivity` in clear?"""
    return sensitivity_rank(item_sensitivity) <= sensitivity_rank(client_sensitivity)


ID_BIRTH = re.compile(r"^\d{6}(\d{8})\d{3}[\dX]$")


def embedded_birth(id_number) -> str | None:
    """The eight birth-date digits (YYYYMMDD) inside an 18-character resident ID number, or None."""
    match = ID_BIRTH.match(str(id_number or "").strip().upper())
    return match.group(1) if match else None


def masked_births(values: dict, items: dict, client_sensitivity: str, extra_ids=()) -> set[str]:
    """Birth digits of every ID number of a record that the client sees masked (the hidden middle of the ID).

    `extra_ids` are ID numbers known to be masked for the client outside `values` (e.g. the entity's key)."""
    births = {embedded_birth(v) for v in extra_ids}
    for key, value in values.items():
        item_type, sensitivity, key_type = items.get(key, ("text", "personal", None))
        effective = key_type if item_type == REFERENCE and key_type else item_type
        if effective == ID_CARD and not allowed(sensitivity, client_sensitivity):
            births.add(embedded_birth(value))
    births.discard(None)
    return births


def reveals_birth(item_type: str, value, births: set[str]) -> bool:
    """Does a date value equal one of the hidden birth dates (in any spelling: 1943-04-10, 19430410, 1943/4/10...)?"""
    if not births or item_type != DATE or value in (None, ""):
        return False
    parts = re.findall(r"\d+", str(value))
    digits = "".join(parts)
    if len(parts) == 3 and len(parts[0]) == 4:
        digits = f"{parts[0]}{int(parts[1]):02d}{int(parts[2]):02d}"
    return digits[:8] in births


def mask_values(values: dict, items: dict, client_sensitivity: str, *, context: dict | None = None,
                extra_ids=(), person_names=frozenset()) -> dict:  # fmt: skip
    """Apply masking to a record's values; `items` maps element key -> (type, sensitivity, key_type);
    `person_names` are the keys of items with the catalog role person_name.

    Defence in depth: when an ID number of the record is masked, a date item equal to the birth date embedded in
    that ID is omitted even if its own sensitivity would allow it, since it is exactly the ID's hidden digits.
    `context` is the whole record's values when `values` is a selection of them."""
    births = masked_births(values if context is None else context, items, client_sensitivity, extra_ids)
    shown = {}
    for key, value in values.items():
        item_type, sensitivity, key_type = items.get(key, ("text", "personal", None))
        if reveals_birth(item_type, value, births):
            continue
        if allowed(sensitivity, client_sensitivity):
            shown[key] = value
            continue
        masked = mask_value(key, item_type, value, key_type=key_type, person_name=key in person_names)
        if masked is not OMIT:
            shown[key] = masked
    return shown
