"""Masking personal items for API clients: minimum necessary disclosure under the PIPL.

An item whose sensitivity is above what a client may read is never returned in clear: it is masked where a masked
form is still useful for a person checking a match (ID number 370602********123X, phone 138****8000, name 张*),
and omitted otherwise.
"""

from catalog.spec import ID_CARD, PHONE, REFERENCE, SENSITIVITY_ORDER, USCC

# Element keys whose masked form helps a caseworker recognise a person without disclosing them.
NAME_KEYS = frozenset({"name", "owner_name", "legal_representative", "guardian_name", "contact_name"})
OMIT = object()


def sensitivity_rank(level: str) -> int:
    return SENSITIVITY_ORDER.index(level) if level in SENSITIVITY_ORDER else len(SENSITIVITY_ORDER)


def allowed(item_sensitivity: str, client_sensitivity: str) -> bool:
    """May a client cleared up to `client_sensitivity` read an item of `item_sensitivity` in clear?"""
    return sensitivity_rank(item_sensitivity) <= sensitivity_rank(client_sensitivity)


def mask_id_number(value: str) -> str:
    """370602198001011234 -> 370602********1234: area kept, birth date and sequence hidden."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """13812348000 -> 138****8000; landlines keep the area code and the last four digits."""
    digits = value.replace("-", "")
    if len(digits) < 7:
        return "*" * len(value)
    head = 3 if digits.startswith("1") else (value.index("-") if "-" in value else 4)
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


def mask_name(value: str) -> str:
    """张三丰 -> 张**: the family name stays, which is enough to confirm a match by hand."""
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_value(key: str, item_type: str, value, *, key_type: str | None = None):
    """The masked form of a value the client may not read in clear, or OMIT when no masked form is useful."""
    if value is None or value == "":
        return value
    text = str(value)
    effective = key_type if item_type == REFERENCE and key_type else item_type
    if effective in (ID_CARD, USCC):
        return mask_id_number(text)
    if effective == PHONE:
        return mask_phone(text)
    if key in NAME_KEYS:
        return mask_name(text)
    return OMIT


def mask_values(values: dict, items: dict, client_sensitivity: str) -> dict:
    """Apply masking to a record's values; `items` maps element key -> (type, sensitivity, key_type)."""
    shown = {}
    for key, value in values.items():
        item_type, sensitivity, key_type = items.get(key, ("text", "personal", None))
        if allowed(sensitivity, client_sensitivity):
            shown[key] = value
            continue
        masked = mask_value(key, item_type, value, key_type=key_type)
        if masked is not OMIT:
            shown[key] = masked
    return shown
