"""Links between entities found through the catalog: an item whose element declares `refers_to` (a reference such as
the house a person lives in or the owner of a house, or an ID number such as the enterprise's legal representative's)
points at another entity, unless it is part of the record's own key.

Used by the entity (360°) page: outgoing links from the entity's records, incoming links from records that name it
(found through the link index, basedb.models.RecordLink).
"""

from dataclasses import dataclass

from django.db.models import Q

from catalog.spec import ItemSpec, TableSpec
from catalog.specs_build import build_table_spec, current_specs
from regions.choices import Action

from .choices import RecordStatus
from .labels import entity_name, kind_label
from .models import Entity, Record, RecordLink

INCOMING_LIMIT = 50


@dataclass(frozen=True)
class Link:
    """One link shown on the entity page: through which item of which subcategory, to which entity."""

    item: str  # Chinese name of the item
    subcategory: str  # e.g. "H0101 房屋基本信息"
    entity: Entity
    visible: bool = True  # may the user view a record of the entity? If not, neither its name nor its page is shown
    name: str = ""  # the name shown (labels.entity_name: from a record the user may view)

    @property
    def kind_label(self) -> str:
        """The linked entity's kind in Chinese (人, 房 ...)."""
        return kind_label(self.entity.kind)


def pointing_items(spec: TableSpec) -> list[tuple[ItemSpec, str]]:
    """The items of a subcategory that name another entity, with the kind they name."""
    return [(item, item.reference_kind) for item in spec.pointing_items()]


def outgoing_links(records: list[Record], user) -> list[Link]:
    """Entities the given records point at (one query for all); a target not in the base database is left out, and a
    target of which the user may view no record is shown without its name or page (held outside the region)."""
    wanted: list[tuple[str, str, str, str]] = []
    specs = current_specs()
    for record in records:
        spec = specs.get(record.subcategory.code) or build_table_spec(record.subcategory.code)
        for item, kind in pointing_items(spec):
            key = record.values.get(item.key)
            if key:
                wanted.append((kind, str(key), item.name, f"{spec.code} {spec.name}"))
    if not wanted:
        return []
    query = Q()
    for kind, key, _item, _sub in wanted:
        query |= Q(kind=kind, key=key)
    entities = {
        (e.kind, e.key): e
        for e in Entity.objects.unrestricted(
            "entities named by records the user may view; named only if held in scope (below)"
        ).filter(query)
    }
    visible: dict[int, list[Record]] = {}
    for record in (
        Record.objects.restrict(user, Action.VIEW)
        .filter(entity__in=list(entities.values()))
        .select_related("subcategory")
    ):
        visible.setdefault(record.entity_id, []).append(record)
    links = []
    for kind, key, item, sub in wanted:
        target = entities.get((kind, key))
        if target is not None:
            seen = visible.get(target.pk)
            name = entity_name(user, target, seen) if seen else ""
            links.append(Link(item, sub, target, bool(seen), name))
    return links


def incoming_links(entity: Entity, user) -> list[Link]:
    """Records the user may view that name this entity in a pointing item (e.g. the houses a person owns)."""
    items: dict[str, tuple[str, str]] = {}
    for spec in current_specs().values():
        for item, kind in pointing_items(spec):
            if kind == entity.kind:
                items.setdefault(item.key, (item.name, f"{spec.code} {spec.name}"))
    if not items:
        return []
    # Through the link index (basedb/summaries.py), not a scan of every record's values.
    naming = RecordLink.objects.filter(kind=entity.kind, key=entity.key).values("record_id")
    records = (
        Record.objects.restrict(user, Action.VIEW)
        .filter(id__in=naming, status=RecordStatus.ACTIVE)
        .exclude(entity=entity)
        .select_related("entity", "subcategory")[:INCOMING_LIMIT]
    )
    links = []
    for record in records:
        key = next((k for k in items if record.values.get(k) == entity.key), None)
        if key:
            sub = f"{record.subcategory.code} {record.subcategory.name}"
            links.append(Link(items[key][0], sub, record.entity, name=entity_name(user, record.entity, [record])))
    return links
