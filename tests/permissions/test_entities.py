"""Permission cases of the entity pages addressed by public id (issue 11 items 1 and 7): the 360° page and the old
address by database id answer 404 outside the region, the same as for an entity that does not exist."""

from regions.choices import Role
from tests.conftest import OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests

OFFICERS = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200}


def _entity(region: str):
    from basedb.models import Entity, Record
    from catalog.models import Subcategory

    entity = Entity.objects.create(kind="person", key=f"37060219800101{region[-4:]}", region_id=region)
    Record.objects.create(entity=entity, subcategory=Subcategory.objects.get(code="P0101"), region_id=region)
    entity.refresh_from_db()
    return entity


def page(ctx) -> str:
    return f"/basedb/entities/{_entity(ctx.region).public_id}/"


def old_address(ctx) -> str:
    return f"/basedb/entities/{_entity(ctx.region).pk}/"


OLD = {"county_officer": 302, "other_county_officer": 404}
test_entity_page_permissions = permission_tests(
    Case("entity page by public id", page, extra=OFFICERS),
    Case("old entity address by id", old_address, own_region=302, extra=OLD),
    Case("entity page for an officer", page, role=Role.OFFICER, other_region=OTHER_COUNTY),
)
