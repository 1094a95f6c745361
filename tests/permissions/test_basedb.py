"""Generated permission tests of the base-database pages not covered elsewhere: a record's page, the conflict list
and resolution, reverting a merged batch, the pre-filled template (核对式采集) and the posted search.

A record belongs to its place (the township here); conflicts and reverts are a data officer's work in a county
covering both townships. Objects outside the user's regions answer 404; the POST actions answer with a redirect."""

from basedb.merge import merge_batch
from regions.choices import Role
from tests.basedb.conftest import person, staged_batch
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_B
from tests.permissions.harness import Case, permission_tests

VIEWERS = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}
OFFICER = {"role": Role.OFFICER, "region": COUNTY_A, "other_region": OTHER_COUNTY, "wrong_role": Role.COLLECTOR,
           "extra": {"city_officer": 200, "platform_admin": 200}}  # fmt: skip
EVERYONE = {"wrong_role_status": 200, "other_region_status": 200}


def record(ctx):
    from basedb.models import Record

    merge_batch(staged_batch(ctx.region, [person(1)]), acting_user=None)
    return f"/basedb/records/{Record.objects.get(region_id=ctx.region).pk}/"


def conflict(ctx):
    from basedb.models import Conflict

    merge_batch(staged_batch(TOWNSHIP_B, [person(1)]), acting_user=None)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13700000000")]), acting_user=None)
    return f"/basedb/conflicts/{Conflict.objects.get().pk}/resolve"


def merged_batch(ctx):
    batch = staged_batch(TOWNSHIP_A, [person(2)])
    merge_batch(batch, acting_user=None)
    return f"/basedb/batches/{batch.pk}/revert"


def officer(name: str, url, **kwargs) -> Case:
    return Case(name, url, **(OFFICER | kwargs))


test_basedb_page_permissions = permission_tests(
    Case("record page", record, extra=VIEWERS),
    officer("conflict list", lambda ctx: "/basedb/conflicts/", other_region_status=200, wrong_role_status=200),
    officer("resolve a conflict", conflict, method="post", data={"decision": "take_new"}, own_region=302,
            extra={"city_officer": 302, "platform_admin": 302}),
    # A conflict belongs to the incoming township: its collectors see it read-only (as on the list).
    officer("conflict page", lambda ctx: conflict(ctx).removesuffix("resolve"), wrong_role_status=200,
            no_role_status=404),
    officer("revert a batch", merged_batch, method="post", data={"confirm": "1"}, own_region=302,
            extra={"city_officer": 302, "platform_admin": 302}),
    officer("revert confirmation", merged_batch),
    Case("pre-filled template form", lambda ctx: "/basedb/patch/", **EVERYONE),
    Case("posted search", lambda ctx: "/basedb/search/", method="post", data={"q": "张"}, own_region=302,
         wrong_role_status=302, other_region_status=302),
    # The data tables (数据表): drilled to a region the user may not view, or with no region at all, they answer 404.
    Case("data tables", lambda ctx: f"/basedb/tables/?region={ctx.region}", extra=VIEWERS),
    Case("data table", lambda ctx: table(ctx, ""), extra=VIEWERS),
    Case("data table export", lambda ctx: table(ctx, "export.xlsx"), extra=VIEWERS),
    Case("data table posted search", lambda ctx: "/basedb/tables/P0101/search", method="post", data={"q": "张"},
         own_region=302, wrong_role_status=302, other_region_status=302),
)  # fmt: skip


def table(ctx, suffix: str) -> str:
    record(ctx)  # one record of the region, so the own region sees a row
    return f"/basedb/tables/P0101/{suffix}?region={ctx.region}"


def record_reveal(ctx):
    return record(ctx).replace("/basedb/records/", "/sharing/reveal/records/")


def entity_reveal(ctx):
    from basedb.models import Record

    record(ctx)
    return f"/sharing/reveal/entities/{Record.objects.get(region_id=ctx.region).entity.public_id}/"


test_reveal_permissions = permission_tests(
    # A reveal is a POST with a reason from the list; viewers who neither collect nor review get 403 or 404.
    Case("reveal a record", record_reveal, method="post", data={"reason": "verify"},
         extra={"county_officer": 200, "other_county_officer": 404}),
    Case("reveal an entity page", entity_reveal, method="post", data={"reason": "verify"},
         extra={"county_officer": 200, "other_county_officer": 404, "platform_admin": 200}),
)  # fmt: skip
