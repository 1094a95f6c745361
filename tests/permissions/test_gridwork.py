"""Generated permission tests of the grid work pages (网格工作台): a grid worker of GRID_A against the grid worker
of another grid of the same township (GRID_A2), who must get 404 for the area, its search, its work list, a person
placed there and the correction of that person's record; officers of the county and the city see them too."""

from regions.choices import Role
from regions.samples import generate_sample_villages
from tests.conftest import GRID_A, GRID_A2, TOWNSHIP_A, TOWNSHIP_B
from tests.gridwork.conftest import correction_url, placed_person
from tests.permissions.harness import Case, permission_tests

OFFICERS = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}


def grids() -> None:
    generate_sample_villages([TOWNSHIP_A, TOWNSHIP_B], villages=3, grids=3)


def correction_of_person_in(ctx) -> str:
    return correction_url(placed_person(1, "张一", ctx.region))


def grid_case(name: str, url, **kwargs) -> Case:
    options = {"role": Role.GRID_WORKER, "region": GRID_A, "other_region": GRID_A2, "setup": grids, "extra": OFFICERS}
    return Case(name, url, **(options | kwargs))


test_gridwork_page_permissions = permission_tests(
    grid_case("grid area page", lambda ctx: f"/grid/areas/{ctx.region}/"),
    grid_case("grid search", lambda ctx: f"/grid/areas/{ctx.region}/search/", method="post", data={"q": "张"}),
    grid_case("grid work list", lambda ctx: f"/grid/areas/{ctx.region}/entries/"),
    grid_case("person card", lambda ctx: f"/grid/entities/{placed_person(1, '张一', ctx.region).entity.public_id}/"),
    grid_case("correction form", correction_of_person_in,
              extra={"county_officer": 404, "other_county_officer": 404, "city_officer": 404, "platform_admin": 200}),
    grid_case("village collector's area", lambda ctx: f"/grid/areas/{ctx.region}/", role=Role.COLLECTOR,
              region=GRID_A[:12], other_region=GRID_A2[:12]),
)  # fmt: skip
