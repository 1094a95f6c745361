"""Generated permission tests of the sunk-data page (数据下沉, basedb/sunk_views.py) and of the department upload
page: a region outside the user's subtree answers 404 (never 403). Department roles are tested by name in
tests/collection/test_sinking.py and tests/basedb/test_sunk.py (the harness's principals hold region roles)."""

from tests.conftest import COUNTY_A, OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests

OFFICERS = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}

test_sinking_page_permissions = permission_tests(
    Case("sunk data of a township", lambda ctx: f"/basedb/sunk/?region={ctx.region}", extra=OFFICERS),
    Case("sunk data of the user's region", lambda ctx: "/basedb/sunk/", other_region_status=200,
         wrong_role_status=403),
    Case("sunk data of a county", lambda ctx: f"/basedb/sunk/?region={ctx.region}", role="officer", region=COUNTY_A,
         other_region=OTHER_COUNTY, extra={"city_officer": 200, "platform_admin": 200}),
)  # fmt: skip
