"""The records behind a number as a page shows them: name, key and the items the column reads, personal items
masked (ID numbers, phones, birth dates, health and assistance items), code values as their labels."""

from dataclasses import dataclass

from basedb.conditions import items_read
from basedb.labels import Presenter
from catalog.spec import PERSON_NAME_ROLE
from catalog.specs_build import current_specs
from sharing.masking import OMIT, mask_value

from .definition import Column
from .filling import PLACE

HIDDEN = "已隐藏"
PERSONAL = "personal"


@dataclass
class Shown:
    label: str
    text: str


@dataclass
class RecordLine:
    record: object
    name: str
    key: str
    place: str
    items: list[Shown]


class CellPresenter:
    """Turns records of one column's subject into RecordLines (the catalog read once per page)."""

    def __init__(self, column: Column):
        self.column = column
        self.labels = Presenter()
        self.items = self.labels.items(column.subject)
        keys = items_read(column.selection.when)
        if column.item and column.item not in keys:
            keys.append(column.item)
        self.keys = [k for k in keys if k in self.items]
        spec = current_specs().get(column.subject)
        self.key_items = list(spec.key_items) if spec else []
        self.name_keys = spec.display_name_keys if spec else ()
        self.place = PLACE.removesuffix("_id")

    def headings(self) -> list[str]:
        return [self.items[k].name for k in self.keys]

    def shown(self, key: str, value) -> str:
        item = self.items.get(key)
        if item is not None and item.sensitivity == PERSONAL and value not in (None, ""):
            masked = mask_value(
                key, item.type, value, key_type=item.key_type, person_name=PERSON_NAME_ROLE in item.roles
            )
            return HIDDEN if masked is OMIT else str(masked)
        return self.labels.value(self.column.subject, key, value).text

    def line(self, record) -> RecordLine:
        values = record.values or {}
        items = [Shown(self.items[k].name, self.shown(k, values.get(k))) for k in self.keys]
        key = self.key(record.entity.key)
        # The record names its entity (the entity's display name may come from a township outside the user's region).
        name = next((str(values[k]) for k in self.name_keys if values.get(k)), "")
        return RecordLine(record, name or key, key, getattr(record, self.place).name, items)

    def key(self, key: str) -> str:
        """The entity key, masked like its item (a composite key with a personal part is hidden)."""
        if len(self.key_items) == 1:
            return self.shown(self.key_items[0], key)
        personal = any(self.items[k].sensitivity == PERSONAL for k in self.key_items if k in self.items)
        return HIDDEN if personal else key
