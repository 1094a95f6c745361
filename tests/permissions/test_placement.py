"""Generated permission tests of the placement pages: the drill-down by region (board, export, record list) and a
township's unplaced records. A region outside the user's subtree answers 404 (never 403)."""

from tests.permissions.harness import Case, permission_tests

OFFICERS = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}

test_placement_page_permissions = permission_tests(
    Case("board drilled to a township", lambda ctx: f"/basedb/board/?region={ctx.region}", extra=OFFICERS),
    Case("board export of a level", lambda ctx: f"/basedb/board.xlsx?region={ctx.region}", extra=OFFICERS),
    Case("record list of a region", lambda ctx: f"/basedb/?region={ctx.region}", extra=OFFICERS),
    Case("unplaced records", lambda ctx: f"/basedb/townships/{ctx.region}/unplaced/", extra=OFFICERS),
    Case("place records by hand", lambda ctx: f"/basedb/townships/{ctx.region}/unplaced/", method="post",
         data={"records": ["1"], "place": "370602002901"}, own_region=302,
         extra={"county_officer": 404, "other_county_officer": 404}),
)  # fmt: skip
