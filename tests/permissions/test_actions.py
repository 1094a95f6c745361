"""Generated permission tests of the remaining actions and lists: the batch API's list and workbook, a rule's
evaluation and grants (rules administrators, platform administrators), rotating and revoking a client's token
(platform administrators of the client's region) and the grid workers' start page.

POST actions answer with a redirect (302) for whoever may act; a user of the right region and the wrong role gets
403 where the page exists for them (rules, grants), an object outside the user's regions 404."""

from regions.choices import Role
from tests.collection.batch_fixtures import make_batch
from tests.conftest import COUNTY_A, OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests
from tests.permissions.test_matching import _rule
from tests.permissions.test_sharing import _client

BY_REGION = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}
EVERYONE = {"wrong_role_status": 200, "other_region_status": 200}
RULES_ADMIN = {"role": Role.RULES_ADMIN, "region": "3706", "other_region": OTHER_COUNTY, "wrong_role": Role.COLLECTOR,
               "wrong_role_status": 403, "other_region_status": 302, "own_region": 302,
               "extra": {"platform_admin": 302}}  # fmt: skip
ADMIN = {"role": Role.PLATFORM_ADMIN, "region": COUNTY_A, "other_region": OTHER_COUNTY, "wrong_role": Role.OFFICER,
         "wrong_role_status": 403, "own_region": 302, "extra": {"platform_admin": 302}}  # fmt: skip


def _batch_with_file(ctx) -> int:
    """A batch whose uploaded workbook is stored (the annotated workbook is built from it)."""
    import tempfile
    from pathlib import Path

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tests.collection.batch_fixtures import P0101_ROWS, write_xlsx

    with tempfile.TemporaryDirectory() as folder:
        content = write_xlsx(Path(folder) / "a.xlsx", P0101_ROWS[:1]).read_bytes()
    name = default_storage.save("uploads/permissions/test.xlsx", ContentFile(content))
    batch = make_batch(ctx.region, ctx.own, subcategory=_p0101())
    batch.file.name = name
    batch.save(update_fields=["file"])
    return batch.pk


def _p0101():
    from catalog.models import Subcategory

    return Subcategory.objects.get(code="P0101")


def _grant(ctx):
    from matching.models import RuleGrant

    return RuleGrant.objects.create(client=_client(ctx.region), rule=_rule())


test_action_permissions = permission_tests(
    Case("batch list api", lambda ctx: "/api/v1/batches/", api=True, **EVERYONE),
    Case("batch workbook api", lambda ctx: f"/api/v1/batches/{_batch_with_file(ctx)}/report.xlsx", api=True,
         extra=BY_REGION),
    Case("evaluate a rule", lambda ctx: f"/matching/rules/{_rule().code}/evaluate/", method="post", **RULES_ADMIN),
    # Rules are city-wide: an administrator of another county may grant them to the clients of its own region.
    Case("grant a rule", lambda ctx: f"/matching/rules/{_rule().code}/grants/", method="post",
         **ADMIN | {"other_region_status": 302}),
    Case("remove a grant", lambda ctx: f"/matching/grants/{_grant(ctx).pk}/delete/", method="post",
         **ADMIN | {"wrong_role_status": 404}),
    # Rotating shows the new token once (200).
    Case("rotate a token", lambda ctx: f"/sharing/clients/{_client(ctx.region).pk}/rotate/", method="post",
         **ADMIN | {"own_region": 200, "extra": {"platform_admin": 200}}),
    Case("revoke a client", lambda ctx: f"/sharing/clients/{_client(ctx.region).pk}/revoke/", method="post", **ADMIN),
    Case("clear a client's flag", lambda ctx: f"/sharing/clients/{_client(ctx.region).pk}/unflag/", method="post",
         **ADMIN),
    Case("grid start page", lambda ctx: "/grid/", **EVERYONE),
)  # fmt: skip
