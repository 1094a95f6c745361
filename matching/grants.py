"""Which sharing API clients may read which rule's results (`GET /api/v1/rules/{code}/results/`).

Granting is the platform administrator's, over clients of their own regions (Action.ADMINISTER, as for the clients
themselves); the results a client reads are still scoped by its region and masked by its sensitivity."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from regions.access import can, restrict, scope_for
from regions.audit import record_event
from regions.choices import Action, AuditVerb
from sharing.models import ApiClient

from .models import Rule, RuleGrant


def may_grant(user) -> bool:
    return not scope_for(user, Action.ADMINISTER).empty


def grantable_clients(user):
    """Live clients of the administrator's regions."""
    return restrict(ApiClient.objects.filter(revoked_at__isnull=True), user, Action.ADMINISTER).order_by("name")


def visible_grants(user, rule: Rule | None):
    grants = RuleGrant.objects.filter(client__in=restrict(ApiClient.objects.all(), user, Action.ADMINISTER))
    grants = grants.filter(rule=rule) if rule is not None else grants
    return grants.select_related("client", "rule", "granted_by")


@transaction.atomic
def grant_rule(client: ApiClient, rule: Rule, *, acting_user) -> RuleGrant:
    """Allow `client` to read `rule`'s results; granting twice is harmless. acting_user None: the CLI."""
    if acting_user is not None and not can(acting_user, Action.ADMINISTER, client.region_id):
        raise PermissionDenied("您不能为该接入方授权。")
    grant, created = RuleGrant.objects.get_or_create(client=client, rule=rule, defaults={"granted_by": acting_user})
    if created:
        _record(AuditVerb.GRANT_RULE, grant, acting_user)
    return grant


@transaction.atomic
def revoke_grant(grant: RuleGrant, *, acting_user) -> None:
    if acting_user is not None and not can(acting_user, Action.ADMINISTER, grant.client.region_id):
        raise PermissionDenied("您不能撤销该接入方的授权。")
    _record(AuditVerb.REVOKE_RULE, grant, acting_user)
    grant.delete()


def _record(verb: str, grant: RuleGrant, acting_user) -> None:
    record_event(verb, actor=acting_user, obj=grant.client, region=grant.client.region_id,
                 label=f"接入方 {grant.client.name}", after={"rule": grant.rule.code})  # fmt: skip
