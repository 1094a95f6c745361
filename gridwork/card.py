"""A person's (house's, enterprise's) card for a grid user: its records placed in the user's area, personal items
masked, the open work-list entries about it; and the correction of one record reported from the field."""

from dataclasses import dataclass, field

from basedb.choices import RecordStatus
from basedb.labels import Presenter
from basedb.models import Record
from catalog.spec import PERSON_NAME_ROLE
from catalog.specs_build import current_specs
from collection.corrections import submit_correction
from collection.models import Batch
from regions.choices import Action
from sharing.masking import OMIT, mask_value

from .area import HIDDEN

PERSONAL = "personal"
MAX_CHANGES = 3


@dataclass
class Item:
    key: str
    label: str
    text: str


@dataclass
class RecordCard:
    record: Record
    items: list[Item] = field(default_factory=list)
    may_correct: bool = False


class MaskedPresenter:
    """Values as a grid user reads them: personal items masked (or hidden), code values as labels."""

    def __init__(self) -> None:
        self.labels = Presenter()

    def text(self, subcategory: str, key: str, value) -> str:
        item = self.labels.items(subcategory).get(key)
        if item is not None and item.sensitivity == PERSONAL and value not in (None, "", []):
            masked = mask_value(
                key, item.type, value, key_type=item.key_type, person_name=PERSON_NAME_ROLE in item.roles
            )
            return HIDDEN if masked is OMIT else str(masked)
        return self.labels.value(subcategory, key, value).text

    def items(self, record: Record) -> list[Item]:
        code = record.subcategory.code
        spec = self.labels.items(code)
        keys = [k for k in spec if k in record.values] + [k for k in record.values if k not in spec]
        return [Item(k, self.labels.label(code, k), self.text(code, k, record.values.get(k))) for k in keys]


def entity_records(user, public_id: str) -> list[Record]:
    """The entity's active records the user may view (placed in its area), subcategory by subcategory."""
    return list(
        Record.objects.restrict(user, Action.VIEW)
        .filter(entity__public_id=public_id, status=RecordStatus.ACTIVE)
        .select_related("entity", "subcategory", "place")
        .order_by("subcategory__code")
    )


def record_cards(user, records: list[Record]) -> list[RecordCard]:
    presenter = MaskedPresenter()
    allowed = Record.objects.restrict(user, Action.CORRECT).filter(pk__in=[r.pk for r in records])
    correctable = set(allowed.values_list("pk", flat=True))
    return [RecordCard(r, presenter.items(r), r.pk in correctable) for r in records]


def correctable_items(record: Record) -> list[tuple[str, str]]:
    """(key, label) of the items a field user may correct: every item of the subcategory but its key items."""
    spec = current_specs().get(record.subcategory.code)
    if spec is None:
        return []
    return [(i.key, i.name) for i in spec.items if i.key not in spec.key_items]


def report_correction(record: Record, changes: dict, *, reason: str, acting_user) -> Batch:
    """The record's current values with `changes` applied, submitted as a correction of its place (verified, then
    in the officers' review queue, like any correction)."""
    values = dict(record.values or {}) | changes
    return submit_correction(
        record.subcategory.code, record.region_id, values, acting_user=acting_user, reason=f"网格上报：{reason}",
        place=record.place_id,
    )  # fmt: skip
