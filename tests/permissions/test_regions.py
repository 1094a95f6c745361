"""Region pages and the region API: cross-region requests answer 404 in the web UI and the API."""

from regions.choices import Role
from tests.conftest import COUNTY_A, OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests

test_region_permissions = permission_tests(
    Case(
        "township page",
        lambda ctx: f"/regions/{ctx.region}/",
        extra={"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200},
    ),
    Case(
        "township api",
        lambda ctx: f"/api/v1/regions/{ctx.region}/",
        api=True,
        extra={"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200},
    ),
    Case(
        "county page",
        lambda ctx: f"/regions/{ctx.region}/",
        role=Role.OFFICER,
        region=COUNTY_A,
        other_region=OTHER_COUNTY,
        extra={"city_officer": 200},
    ),
    Case(
        "county api",
        lambda ctx: f"/api/v1/regions/{ctx.region}/",
        api=True,
        role=Role.OFFICER,
        region=COUNTY_A,
        other_region=OTHER_COUNTY,
        extra={"city_officer": 200},
    ),
)
