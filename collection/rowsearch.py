"""Whose row is it: a staged row's identifying items (name, masked ID number, address) and the search of a batch's
rows by row number, name or ID number (full, typed into a POST form, or a masked pattern such as 370602****1234).

The items are found by their catalog roles and types, never by element key, so every subcategory works the same.
A full ID number never travels in a URL: the page's search form posts, and a query string may hold only a row
number or a masked pattern (docs/user-guide.md, "查找某个人的行").
"""

import re
from dataclasses import dataclass

from django.db.models import Q

from catalog.spec import ADDRESS_ROLE, ID_CARD, LOCATION_ROLE, NAME_ROLE, REFERENCE, USCC, TableSpec
from catalog.specs_build import build_table_spec, specs_on_demand
from grassroots.text import mask_id_number

ROW_NUMBER = re.compile(r"^第?\s*(\d{1,7})\s*行?$")
ID_LIKE = re.compile(r"^[0-9A-Za-z*＊]+$")
FULL_ID_MIN = 15  # a first-generation resident ID has 15 characters, a USCC or today's ID 18
PATTERN_MIN = 4  # characters besides the stars a pattern must give: "*1234" at least


@dataclass(frozen=True)
class IdentityItems:
    """The items of a subcategory that say whose row it is, in column order."""

    names: tuple[str, ...]
    ids: tuple[str, ...]
    addresses: tuple[str, ...]

    @classmethod
    def of(cls, spec: TableSpec | None) -> "IdentityItems":
        if spec is None:
            return cls((), (), ())
        ids = tuple(i.key for i in spec.items if _is_id_number(i, spec))
        ids = tuple(k for k in spec.key_items if k in ids) + tuple(k for k in ids if k not in spec.key_items)
        locations = spec.keys_with_role(LOCATION_ROLE)
        addresses = locations + tuple(k for k in spec.keys_with_role(ADDRESS_ROLE) if k not in locations)
        return cls(spec.keys_with_role(NAME_ROLE), ids, addresses)

    def identify(self, values: dict) -> dict:
        """{name, id (masked), address} of a row's values: the first non-empty item of each kind, or ""."""
        ident = _first(values, self.ids)
        masked = mask_id_number(ident) if ident else ""
        return {"name": _first(values, self.names), "id": masked, "address": _first(values, self.addresses)}


def _is_id_number(item, spec: TableSpec) -> bool:
    """An ID number or credit code of the row's own entity (a reference to another person's ID is not whose row)."""
    if item.type in (ID_CARD, USCC):
        return item.reference_kind is None or item.key in spec.key_items
    return item.type == REFERENCE and item.key in spec.key_items and item.key_type in (ID_CARD, USCC)


def _first(values: dict | None, keys: tuple[str, ...]) -> str:
    values = values or {}
    return next((str(values[k]) for k in keys if values.get(k) not in (None, "")), "")


def identity_items(subcategory_code: str | None) -> IdentityItems:
    """The identity items of a batch's subcategory (the cached specs; a retired subcategory is built fresh)."""
    if not subcategory_code:
        return IdentityItems.of(None)
    spec = specs_on_demand().get(subcategory_code) or build_table_spec(subcategory_code)
    return IdentityItems.of(spec)


@dataclass(frozen=True)
class RowSearch:
    """A parsed search: kind is "row", "id", "pattern" or "name"; `shown` is how the page repeats it (masked)."""

    kind: str
    term: str

    @property
    def shown(self) -> str:
        return mask_id_number(self.term) if self.kind == "id" else self.term

    @property
    def fits_in_url(self) -> bool:
        """Row numbers and masked patterns may be a query string; names and full ID numbers only posted."""
        return self.kind in ("row", "pattern")


def parse_search(text: str | None) -> RowSearch | None:
    """What a person typed into 查找行: a row number (107, 第107行), an ID number (full, or a pattern with *), or a
    name; None for nothing usable."""
    term = re.sub(r"\s+", "", text or "")
    if not term:
        return None
    if match := ROW_NUMBER.match(term):
        return RowSearch("row", match.group(1))
    if ID_LIKE.match(term) and any(c.isdigit() for c in term):
        term = term.upper().replace("＊", "*")
        if "*" in term:
            return RowSearch("pattern", term) if len(term.replace("*", "")) >= PATTERN_MIN else None
        if len(term) >= FULL_ID_MIN:
            return RowSearch("id", term)
    return RowSearch("name", term)


def search_filter(search: RowSearch, items: IdentityItems) -> Q:
    """The condition on staged rows that a search selects (an empty Q matches nothing useful: see `Q(pk=None)`)."""
    if search.kind == "row":
        return Q(row=int(search.term))
    if search.kind == "id":
        return _any(items.ids, lambda k: Q(**{f"values__{k}__iexact": search.term}))
    if search.kind == "pattern":
        head, _, rest = search.term.partition("*")
        tail = rest.rsplit("*", 1)[-1]
        return _any(items.ids, lambda k: Q(**{f"values__{k}__istartswith": head, f"values__{k}__iendswith": tail}))
    return _any(items.names, lambda k: Q(**{f"values__{k}__icontains": search.term}))


def _any(keys: tuple[str, ...], condition) -> Q:
    query = Q(pk=None)  # no item of this kind in the subcategory: nothing matches
    for key in keys:
        query |= condition(key)
    return query
