"""What a village (村/社区) or grid user works on: the people, houses and enterprises whose records are placed in
its area, found by name or ID number, each shown as a card; personal items masked as everywhere.

Every query starts from `Record.objects.restrict(user, ...)` (regions.access decides): an area is only a narrowing
inside what the user may already see, so a grid worker's pages can never show another grid's records.
"""

from dataclasses import dataclass

from django.db.models import Count, Subquery

from basedb.choices import RecordStatus
from basedb.levels import in_subtree
from basedb.models import Entity, Record
from catalog.choices import EntityKind
from regions.access import can, restrict, scope_for
from regions.choices import Action, RegionLevel
from regions.models import Region
from sharing.masking import mask_id_number, mask_name

# The kinds of the area page, in its order (lands, objects and events are reached through the base database).
KINDS = (EntityKind.PERSON, EntityKind.HOUSE, EntityKind.ENTERPRISE)
AREA_LEVELS = (RegionLevel.VILLAGE, RegionLevel.GRID)
HIDDEN = "已隐藏"


@dataclass
class EntityLine:
    """An entity as a list shows it: masked name and key."""

    entity: Entity
    name: str
    key: str


def area_for(user, code: str) -> Region | None:
    """The village or grid `code` if the user may view it (None: not one, or not the user's; pages answer 404)."""
    region = Region.objects.filter(code=str(code), level__in=AREA_LEVELS).first()
    return region if region is not None and can(user, Action.VIEW, region.code) else None


def my_areas(user) -> list[Region]:
    """The villages and grids the user holds a role in; for a township's (or higher) users, the villages of their
    subtrees (a township collector may open any of its villages)."""
    prefixes = scope_for(user, Action.VIEW).prefixes
    held = [p for p in prefixes if len(p) >= 12]
    if held:
        return list(Region.objects.filter(code__in=held, level__in=AREA_LEVELS).order_by("code"))
    villages = Region.objects.filter(level=RegionLevel.VILLAGE)
    return list(restrict(villages, user, Action.VIEW, field="code").order_by("code")[:200])


def is_area_user(user) -> bool:
    """Does the user work at village or grid level only (its home page is the grid work page)?"""
    scope = scope_for(user, Action.VIEW)
    if scope.everything or not scope.prefixes or not scope_for(user, Action.REVIEW).empty:
        return False
    return all(len(p) >= 12 for p in scope.prefixes)


def area_records(user, region: Region, action: str = Action.VIEW):
    """The active records placed in the area that the user may `action`."""
    records = Record.objects.restrict(user, action).filter(status=RecordStatus.ACTIVE)
    return in_subtree(records, region.code)


def kind_counts(user, region: Region) -> dict[str, int]:
    """{kind: number of entities} with an active record placed in the area, for the page's kinds (one GROUP BY)."""
    rows = (
        area_records(user, region).filter(entity__kind__in=KINDS).values("entity__kind")
        .annotate(n=Count("entity_id", distinct=True)).order_by()
    )  # fmt: skip
    counts = {r["entity__kind"]: r["n"] for r in rows}
    return {kind: counts.get(kind, 0) for kind in KINDS}


def area_entities(user, region: Region, kind: str):
    """The entities of `kind` with an active record placed in the area, by name."""
    ids = area_records(user, region).filter(entity__kind=kind).values("entity_id")
    return (
        Entity.objects.unrestricted("the entities of records restricted to the area (the subquery)")
        .filter(pk__in=Subquery(ids), kind=kind)
        .order_by("display_name", "id")
    )


def looks_like_id(text: str) -> bool:
    """A resident ID number (15 or 18 characters, digits and a final X) or another key typed in full."""
    compact = text.strip().upper()
    return len(compact) in (15, 18) and compact[:-1].isdigit() and (compact[-1].isdigit() or compact[-1] == "X")


def search(user, region: Region, text: str, limit: int = 50) -> list[Entity]:
    """Entities of the area found by their key (an ID number, exactly) or the beginning of their name."""
    text = " ".join(text.split())
    if not text:
        return []
    records = area_records(user, region)
    if looks_like_id(text):
        records = records.filter(entity__key=text.upper())
    else:
        records = records.filter(entity__display_name__startswith=text)
    ids = records.values("entity_id")
    return list(
        Entity.objects.unrestricted("the entities of records restricted to the area (the subquery)")
        .filter(pk__in=Subquery(ids))
        .order_by("kind", "display_name", "id")[:limit]
    )


def masked_name(entity: Entity) -> str:
    name = entity.display_name or ""
    if entity.kind == EntityKind.PERSON:
        return mask_name(name) if name else HIDDEN
    return name or entity.key


def masked_key(entity: Entity) -> str:
    """A person's key is its ID number (masked like one); houses and enterprises keep their codes."""
    if entity.kind == EntityKind.PERSON:
        return mask_id_number(entity.key) if looks_like_id(entity.key) else HIDDEN
    return entity.key


def lines(entities) -> list[EntityLine]:
    return [EntityLine(e, masked_name(e), masked_key(e)) for e in entities]
