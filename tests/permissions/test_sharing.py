"""Generated permission tests of the 数据共享 pages: platform administrators of the client's region only.

Rotate and revoke (POST pages) are checked in tests/sharing/test_web.py: the harness sends page POSTs with
content_type=None, which the test client refuses."""

from regions.choices import Role
from tests.conftest import COUNTY_A, OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests


def _client(region: str):
    from sharing.models import ApiClient

    return ApiClient.objects.create(name=f"接入方{region}", token_prefix="0" * 8, token_hash="0" * 64, region_id=region)


ADMIN = {"role": Role.PLATFORM_ADMIN, "region": COUNTY_A, "other_region": OTHER_COUNTY, "wrong_role": Role.OFFICER,
         "wrong_role_status": 403}  # fmt: skip

test_sharing_page_permissions = permission_tests(
    # Lists and the form are open to every platform administrator; what they list is scoped (tests/sharing).
    Case("client list", lambda ctx: "/sharing/", **ADMIN | {"other_region_status": 200}),
    Case("access log", lambda ctx: "/sharing/access-log/", **ADMIN | {"other_region_status": 200}),
    Case("new client form", lambda ctx: "/sharing/clients/new/", **ADMIN | {"other_region_status": 200}),
    Case("client detail", lambda ctx: f"/sharing/clients/{_client(ctx.region).pk}/", **ADMIN),
)
