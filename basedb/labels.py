"""How base-database values read on a page: item labels in Chinese, code values as their label, booleans as 是/否,
empty as —, entity kinds in Chinese. One `Presenter` per request: it reads the catalog specs once (current_specs is
cached per catalog version; a retired subcategory's spec is built once per request) so a page of records, versions
or conflicts costs no query per row.
"""

from dataclasses import dataclass

from catalog.choices import ElementType, EntityKind
from catalog.masking import OMIT, mask_value
from catalog.spec import PERSON_NAME_ROLE, ItemSpec
from catalog.specs_build import build_table_spec, current_specs
from grassroots.text import mask_id_number
from regions.access import can
from regions.choices import Action

EMPTY = "—"
HIDDEN = "（已隐藏）"
PERSONAL = "personal"
TRUE_WORDS = {"true", "1", "是", "yes", "y"}
FALSE_WORDS = {"false", "0", "否", "no", "n"}


@dataclass(frozen=True)
class Shown:
    """A value as a user reads it; `code` is the stored code when the text is its label (for a tooltip)."""

    text: str
    code: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Change:
    """One changed item of a version or a conflict, ready to display."""

    key: str
    label: str
    old: Shown
    new: Shown


def masked(item: ItemSpec, value) -> Shown:
    """A personal value as every role sees it by default: 370602********123X, 138****8000, 张**, else hidden."""
    shown = mask_value(item.key, item.type, value, key_type=item.key_type, person_name=PERSON_NAME_ROLE in item.roles)
    return Shown(HIDDEN if shown is OMIT else str(shown))


def shown_key(kind: str, key: str) -> str:
    """An entity's key as a page shows it: a person's key (an ID number, or a composite key with a name) masked."""
    return mask_id_number(key) if kind == EntityKind.PERSON else key


def record_name(record) -> str:
    """The name a record gives its entity, as typed: its subcategory's name items, else its addresses."""
    code = record.subcategory.code
    spec = current_specs().get(code) or build_table_spec(code)
    values = record.values or {}
    return next((str(values[k]) for k in spec.display_name_keys if values.get(k)), "")


def entity_name(user, entity, records=()) -> str:
    """The name a page shows `user` for `entity`. Its display name was taken from the township that first reported
    it, so it is shown only to users who may view that township; anyone else reads the name in one of `records`
    (records of it they may view: their own township's spelling), else its masked key."""
    if can(user, Action.VIEW, entity.region_id):
        return entity.display_name or entity.shown_key
    return next((name for record in records if (name := record_name(record))), "") or entity.shown_key


def kind_label(kind: str) -> str:
    """人 / 房 / 企 ... from the catalog's EntityKind labels; an unknown kind stays as it is."""
    return EntityKind(kind).label if kind in EntityKind.values else kind


class Presenter:
    """Labels and displayed values of the subcategories' items, cached for the life of one request.

    Personal items (sensitivity personal) are masked for every role unless `reveal` (issue 11 item 8): the reveal
    of one record is a logged action (sharing.reveal), never a default."""

    def __init__(self, *, reveal: bool = False) -> None:
        self.reveal = reveal
        self._current: dict | None = None
        self._items: dict[str, dict[str, ItemSpec]] = {}
        self._element_names: dict[str, str] | None = None

    def items(self, subcategory_code: str) -> dict[str, ItemSpec]:
        """Element key → item spec of a subcategory (a retired subcategory's spec is built once)."""
        if subcategory_code not in self._items:
            if self._current is None:
                self._current = current_specs()
            spec = self._current.get(subcategory_code)
            if spec is None:
                try:
                    spec = build_table_spec(subcategory_code)
                except Exception:  # an unknown subcategory: labels fall back to the elements' names
                    spec = None
            self._items[subcategory_code] = {i.key: i for i in spec.items} if spec else {}
        return self._items[subcategory_code]

    def label(self, subcategory_code: str, key: str) -> str:
        """The item's label in the subcategory, else the element's Chinese name, else the key itself."""
        item = self.items(subcategory_code).get(key)
        if item is not None:
            return item.name
        if self._element_names is None:
            from catalog.models import DataElement

            self._element_names = dict(DataElement.objects.values_list("key", "name"))
        return self._element_names.get(key, key)

    def value(self, subcategory_code: str, key: str, value) -> Shown:
        """A stored value as the user reads it: code label, 是/否, — for empty."""
        if value is None or value == "" or value == []:
            return Shown(EMPTY)
        item = self.items(subcategory_code).get(key)
        if item is not None and item.sensitivity == PERSONAL and not self.reveal:
            return masked(item, value)
        if isinstance(value, bool):
            return Shown("是" if value else "否")
        if item is not None and item.type == ElementType.BOOLEAN:
            word = str(value).strip().lower()
            if word in TRUE_WORDS:
                return Shown("是")
            if word in FALSE_WORDS:
                return Shown("否")
        if item is not None and item.code_table is not None:
            label = item.code_table.labels.get(str(value))
            if label:
                return Shown(label, str(value))
        if isinstance(value, list):
            return Shown("、".join(str(v) for v in value))
        return Shown(str(value))

    def values(self, subcategory_code: str, values: dict) -> list[tuple[str, str, Shown]]:
        """(key, label, shown value) for every item of a record's values."""
        return [(k, self.label(subcategory_code, k), self.value(subcategory_code, k, v)) for k, v in values.items()]

    def changes(self, subcategory_code: str, changes: dict) -> list[Change]:
        """A version's changes ({key: [old, new]}) as labelled, displayed pairs."""
        return [
            Change(
                k,
                self.label(subcategory_code, k),
                self.value(subcategory_code, k, old),
                self.value(subcategory_code, k, new),
            )
            for k, (old, new) in ((k, _pair(c)) for k, c in changes.items())
        ]

    def diff(self, subcategory_code: str, existing: dict, incoming: dict) -> list[Change]:
        """Items whose incoming value differs from the existing one (a conflict's difference)."""
        changed = {k: [existing.get(k), v] for k, v in incoming.items() if existing.get(k) != v}
        return self.changes(
            subcategory_code, {k: c for k, c in changed.items() if c[0] not in (None, "") or c[1] != ""}
        )


def _pair(change) -> tuple:
    if isinstance(change, list | tuple) and len(change) == 2:
        return change[0], change[1]
    return None, change
