"""Turning records, keys and change sets into what a client may see: masked by its highest sensitivity.

Every function here also reports whether the output touches a personal item (masked or not), so the endpoint can
write the access log.
"""

from catalog.spec import ID_CARD, PERSON_NAME_ROLE, REFERENCE, TableSpec

from .masking import OMIT, allowed, mask_value, mask_values, masked_births, reveals_birth

PERSONAL = "personal"


class ItemInfo:
    """Per-subcategory item metadata in the shape masking.mask_values takes: key -> (type, sensitivity, key_type)."""

    def __init__(self, spec: TableSpec):
        self.spec = spec
        self.items = {i.key: (i.type, i.sensitivity, i.key_type) for i in spec.items}
        self.person_names = frozenset(spec.keys_with_role(PERSON_NAME_ROLE))
        key_info = [self.items.get(k, ("text", PERSONAL, None)) for k in spec.key_items]
        self.key_personal = any(info[1] == PERSONAL for info in key_info)
        self._key_info = key_info

    def is_personal(self, key: str) -> bool:
        return self.items.get(key, ("text", PERSONAL, None))[1] == PERSONAL

    def masked_key_ids(self, key: str | None, sensitivity: str) -> list[str]:
        """The entity key as a list of one ID number when the client sees that ID masked (else empty)."""
        if key is None or len(self._key_info) != 1:
            return []
        item_type, item_sensitivity, key_type = self._key_info[0]
        effective = key_type if item_type == REFERENCE and key_type else item_type
        return [key] if effective == ID_CARD and not allowed(item_sensitivity, sensitivity) else []

    def values(
        self, values: dict, sensitivity: str, fields: list[str] | None = None, *, key: str | None = None
    ) -> tuple[dict, bool]:
        """The record values the client may see (only `fields` if given) and whether a personal item is among them.

        `key` is the record's entity key: when it is an ID number shown masked, its birth date is hidden too."""
        chosen = values if fields is None else {k: values[k] for k in fields if k in values}
        extra = self.masked_key_ids(key, sensitivity)
        shown = mask_values(chosen, self.items, sensitivity, context=values, extra_ids=extra,
                            person_names=self.person_names)  # fmt: skip
        return shown, any(self.is_personal(k) for k in shown)

    def entity_key(self, key: str, sensitivity: str) -> tuple[str | None, bool]:
        """The entity's key as the client may see it (masked, or None when no masked form helps)."""
        if len(self._key_info) != 1:
            hidden = not all(allowed(info[1], sensitivity) for info in self._key_info)
            return (None if hidden else key), self.key_personal
        item_type, item_sensitivity, key_type = self._key_info[0]
        if allowed(item_sensitivity, sensitivity):
            return key, self.key_personal
        name_key = self.spec.key_items[0] in self.person_names
        masked = mask_value(self.spec.key_items[0], item_type, key, key_type=key_type, person_name=name_key)
        return (None if masked is OMIT else masked), self.key_personal

    def one(self, key: str, value, sensitivity: str):
        """One value as the client may see it, or OMIT."""
        item_type, item_sensitivity, key_type = self.items.get(key, ("text", PERSONAL, None))
        if allowed(item_sensitivity, sensitivity):
            return value
        return mask_value(key, item_type, value, key_type=key_type, person_name=key in self.person_names)

    def changes(self, changes: dict, sensitivity: str, entity_key: str | None = None) -> tuple[dict, list[str], bool]:
        """A version's {item: [old, new]} masked; items with no useful masked form are listed as hidden."""
        shown, hidden = {}, []
        pairs = {
            key: [*pair, None, None][:2] if isinstance(pair, list | tuple) else [None, pair]
            for key, pair in changes.items()
        }
        births = masked_births({}, self.items, sensitivity, self.masked_key_ids(entity_key, sensitivity))
        for item, pair in pairs.items():
            for value in pair:
                births |= masked_births({item: value}, self.items, sensitivity)
        for key, (old, new) in pairs.items():
            item_type = self.items.get(key, ("text", PERSONAL, None))[0]
            masked = [self.one(key, old, sensitivity), self.one(key, new, sensitivity)]
            if any(reveals_birth(item_type, v, births) for v in (old, new)):
                masked = [OMIT]
            if OMIT in masked:
                hidden.append(key)
            else:
                shown[key] = masked
        personal = any(self.is_personal(k) for k in shown)
        return shown, hidden, personal
