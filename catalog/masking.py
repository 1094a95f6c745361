"""Masked forms of personal values (PIPL: minimum necessary disclosure), shared by every place that masks: the
sharing API (by a client's sensitivity), the web pages and downloads (personal items masked for every role unless
revealed), work lists, reports and grid cards. Which items are personal, and which are a person's name, is catalog
data (an element's sensitivity and its person_name role)."""

from grassroots.text import mask_id_number

from .spec import ID_CARD, PHONE, REFERENCE, USCC

OMIT = object()  # no masked form is useful: leave the value out


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


def mask_value(key: str, item_type: str, value, *, key_type: str | None = None, person_name: bool = False):
    """The masked form of a value the client may not read in clear, or OMIT when no masked form is useful.

    `person_name`: the item's element has the catalog role person_name (elements.yaml), whose masked form (张**)
    helps a caseworker recognise a person without disclosing them."""
    if value is None or value == "":
        return value
    text = str(value)
    effective = key_type if item_type == REFERENCE and key_type else item_type
    if effective in (ID_CARD, USCC):
        return mask_id_number(text)
    if effective == PHONE:
        return mask_phone(text)
    if person_name:
        return mask_name(text)
    return OMIT
