"""Generated permission tests of the 统计报表 pages.

Forms are city-wide data: every signed-in user reads the list and a form's page; only platform administrators edit.
A filled report, its cells, its download and its confirmation belong to the region asked for: outside the user's
regions (another township, a role that views nothing) it is a 404. A confirmed report belongs to its region.
The confirming POST is checked in tests/reports/test_views.py (the harness sends no form data with a page POST)."""

from regions.choices import Role
from tests.conftest import OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests

REGION_PAGES = {
    "extra": {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}
}
EVERYONE = {"wrong_role_status": 200, "other_region_status": 200}
EDITORS = {"role": Role.PLATFORM_ADMIN, "region": "3706", "other_region": OTHER_COUNTY, "wrong_role": Role.COLLECTOR,
           "wrong_role_status": 403, "other_region_status": 200}  # fmt: skip


def _forms():
    from reports.loader import load_reports
    from reports.models import ReportForm

    if not ReportForm.objects.exists():
        load_reports()


def fill(suffix: str = "", query: str = ""):
    def url(ctx):
        _forms()
        return f"/reports/fill/population_overview/{suffix}?region={ctx.region}&as_of=2026-03-31{query}"

    return url


def _submission(ctx):
    """A report of the owner region, confirmed by its own collector."""
    from datetime import date

    from regions.models import Region
    from reports.confirmation import confirm_report
    from reports.filling import fill_report
    from reports.formbook import definition_of
    from reports.models import ReportForm

    _forms()
    form = ReportForm.objects.get(code="population_overview")
    report = fill_report(definition_of(form), Region.objects.get(code=ctx.region), date(2026, 3, 31))
    return confirm_report(form, report, acting_user=ctx.own)


def submission(suffix: str = ""):
    return lambda ctx: f"/reports/submissions/{_submission(ctx).pk}/{suffix}"


def form_page(suffix: str = ""):
    def url(ctx):
        _forms()
        return f"/reports/forms/population_overview/{suffix}"

    return url


test_reports_page_permissions = permission_tests(
    Case("report list", lambda ctx: "/reports/", **EVERYONE),
    Case("form page", form_page(), **EVERYONE),
    Case("form editor", form_page("edit/"), **EDITORS),
    Case("new form", lambda ctx: "/reports/forms/new/", **EDITORS),
    Case("filled report", fill(), **REGION_PAGES),
    Case("records behind a number", fill("cell/", "&row=total&column=female"), **REGION_PAGES),
    Case("report download", fill("report.xlsx"), **REGION_PAGES),
    Case("confirm page", fill("confirm/"), **REGION_PAGES),
    Case("confirmed report", submission(), **REGION_PAGES),
    Case("confirmed report download", submission("report.xlsx"), **REGION_PAGES),
)
