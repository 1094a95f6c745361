"""Generated permission tests of the sharing API (接入方令牌): every endpoint as no client (401), a user's own token
(401: the sharing API takes client tokens only), a client of the owner township granted other subcategories, a
client of the other township granted the case's, and the owner township's client.

An entity is visible only through a record the client may read (its region and subcategories), else 404; lists and
counts answer 200 with what the client may read (tests/sharing checks what they hold). A webhook and its deliveries
belong to their client: another client's answer 404. A rule's results need the rule granted to the client."""

from tests.permissions.harness import Case, permission_tests
from tests.permissions.test_matching import _entry, _rule

LISTS = {"wrong_role_status": 200, "other_region_status": 200}


def _entity(ctx):
    from basedb.models import Entity, Record
    from catalog.models import Subcategory

    entity = Entity.objects.create(kind="person", key=f"37060219800101{ctx.region[-4:]}", region_id=ctx.region)
    Record.objects.create(entity=entity, subcategory=Subcategory.objects.get(code="P0101"), region_id=ctx.region)
    entity.refresh_from_db()
    return entity


def _webhook(ctx):
    from sharing.models import Webhook

    return Webhook.objects.create(client=ctx.own, url="https://hooks.example.com/x", secret="s" * 32)


def _granted_rule(ctx):
    from matching.models import RuleGrant

    _entry(ctx.region)
    rule = _rule()
    RuleGrant.objects.create(client=ctx.own, rule=rule)
    return rule


def client_case(name: str, url, **kwargs) -> Case:
    return Case(name, url if callable(url) else (lambda ctx: url), client_api=True, **kwargs)


test_sharing_api_permissions = permission_tests(
    client_case("records api", "/api/v1/records/?subcategory=P0101", other_region_status=200),  # P0101 not granted: 404
    client_case("entity api by public id", lambda ctx: f"/api/v1/entities/{_entity(ctx).public_id}/"),
    client_case("entity look-up api", lambda ctx: _entity(ctx) and "/api/v1/entities/lookup/", method="post",
                data={"kind": "person", "key": "370602198001012002"}),
    client_case("old entity address api", lambda ctx: f"/api/v1/entities/person/{_entity(ctx).key}/",
                own_region=410, wrong_role_status=410, other_region_status=410),
    client_case("match api", lambda ctx: _entity(ctx) and "/api/v1/match/", method="post",
                data={"keys": ["370602198001012002"], "subcategories": ["P0101"]}, other_region_status=200),
    client_case("changes api", "/api/v1/changes/", **LISTS),
    client_case("stats api", "/api/v1/stats/", **LISTS),
    client_case("webhook list api", "/api/v1/webhooks/", **LISTS),
    client_case("remove a webhook api", lambda ctx: f"/api/v1/webhooks/{_webhook(ctx).pk}/", method="delete",
                own_region=204),
    client_case("webhook deliveries api", lambda ctx: f"/api/v1/webhooks/{_webhook(ctx).pk}/deliveries/"),
    client_case("rule list api", "/api/v1/rules/", **LISTS),
    client_case("rule results api", lambda ctx: f"/api/v1/rules/{_granted_rule(ctx).code}/results/"),
)  # fmt: skip
