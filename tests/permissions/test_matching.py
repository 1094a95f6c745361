"""Generated permission tests of the 业务匹配 pages.

Rules are city-wide data: every signed-in user reads the rule list and a rule's page; only rules administrators
edit. Work lists and their export need a viewing role (other users get 403); an entry belongs to its township (404
elsewhere). POST actions (feedback, evaluate, grants) and the client-token API are checked in tests/matching."""

from django.utils import timezone

from regions.choices import Role
from tests.conftest import OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests


def _rule():
    from catalog.models import Category, Domain, Subcategory
    from matching.models import Rule, RuleVersion

    domain = Domain.objects.get_or_create(code="P", defaults={"name": "人", "kind": "person"})[0]
    category = Category.objects.get_or_create(code="P01", defaults={"name": "常住人口", "domain": domain})[0]
    subject = Subcategory.objects.get_or_create(code="P0101", defaults={"name": "户籍人口", "category": category})[0]
    definition = {"code": "perm_rule", "name": "权限测试规则", "department": "市医保局", "basis": "《测试》",
                  "subject": "P0101", "has_none": ["P0307"], "show": ["name"]}  # fmt: skip
    rule, created = Rule.objects.get_or_create(
        code="perm_rule", defaults={"name": "权限测试规则", "department": "市医保局", "basis": "《测试》",
                                    "subject": subject, "definition": definition}
    )  # fmt: skip
    if created:
        RuleVersion.objects.create(rule=rule, version=1, definition=definition, content_hash="0" * 64, source="file")
    return rule


def _entry(region: str):
    from basedb.models import Entity, Record
    from matching.models import WorkEntry

    rule = _rule()
    entity = Entity.objects.create(kind="person", key=f"37060219800101{region[-4:]}", region_id=region,
                                   display_name="测试人")  # fmt: skip
    record = Record.objects.create(entity=entity, subcategory=rule.subject, region_id=region, values={"name": "测试人"})
    now = timezone.now()
    return WorkEntry.objects.create(
        rule=rule, entity=entity, record=record, region_id=region, place_id=region, rule_version=rule.versions.get(),
        opened_at=now, evaluated_at=now,
    )  # fmt: skip


def rule_url(suffix: str = ""):
    return lambda ctx: f"/matching/rules/{_rule().code}/{suffix}"


EVERYONE = {"wrong_role_status": 200, "other_region_status": 200}
VIEWERS = {"wrong_role_status": 403, "other_region_status": 200, "extra": {"county_officer": 200}}
EDITORS = {"role": Role.RULES_ADMIN, "region": "3706", "other_region": OTHER_COUNTY, "wrong_role": Role.COLLECTOR,
           "wrong_role_status": 403, "other_region_status": 200}  # fmt: skip

test_matching_page_permissions = permission_tests(
    Case("rule list", lambda ctx: "/matching/", **EVERYONE),
    Case("rule detail", rule_url(), **EVERYONE),
    Case("rule editor", rule_url("edit/"), **EDITORS),
    Case("new rule form", lambda ctx: "/matching/rules/new/", **EDITORS),
    Case("work list", rule_url("entries/"), **VIEWERS),
    Case("work list export", rule_url("entries.xlsx"), **VIEWERS),
    Case(
        "entry page",
        lambda ctx: f"/matching/entries/{_entry(ctx.region).pk}/",
        extra={"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200},
    ),
)
