"""The audit trail's page and export: platform administrators and data officers only (others 403); an administrator
or officer of another region gets the page but none of the region's events (tests/audit/test_audit_page.py)."""

from regions.choices import Role
from tests.conftest import COUNTY_A, OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests


def _audit_url(path: str):
    def url(ctx) -> str:
        from regions.audit import record_event
        from regions.choices import AuditVerb

        event = record_event(
            AuditVerb.RETURN, actor=ctx.own, object_type="collection.batch", object_id=1, region=ctx.region
        )
        return f"{path}?object_type=collection.batch&object={event.object_id}"

    return url


AUDITORS = {"county_officer": 200, "other_county_officer": 200, "city_officer": 200, "platform_admin": 200}
COMMON = {"region": COUNTY_A, "other_region": OTHER_COUNTY, "wrong_role_status": 403, "other_region_status": 200}
test_audit_permissions = permission_tests(
    Case(
        "audit page",
        _audit_url("/regions/audit/"),
        role=Role.PLATFORM_ADMIN,
        wrong_role=Role.COLLECTOR,
        extra=AUDITORS,
        **COMMON,
    ),
    Case(
        "audit export",
        _audit_url("/regions/audit/export/"),
        role=Role.PLATFORM_ADMIN,
        wrong_role=Role.COLLECTOR,
        extra=AUDITORS,
        **COMMON,
    ),
    Case(
        "audit page (officer)",
        _audit_url("/regions/audit/"),
        role=Role.OFFICER,
        wrong_role=Role.RULES_ADMIN,
        extra=AUDITORS,
        **COMMON,
    ),
)
