"""`manage.py grant_rule CLIENT RULE [--revoke]`: allow (or stop) a sharing API client reading a rule's results."""

from django.core.management.base import CommandError

from regions.audit import AuditedCommand
from sharing.models import ApiClient

from ...grants import grant_rule, revoke_grant
from ...models import Rule, RuleGrant


class Command(AuditedCommand):
    help = "Grant an API client (by name) the results of a matching rule (by code), or revoke the grant."

    def add_arguments(self, parser):
        parser.add_argument("client", help="API client name")
        parser.add_argument("rule", help="rule code")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, **options):
        client = (
            ApiClient.objects.unrestricted("CLI: the operator names the client").filter(name=options["client"]).first()
        )
        rule = Rule.objects.filter(code=options["rule"]).first()
        if client is None or rule is None:
            raise CommandError(f"没有接入方“{options['client']}”或规则 {options['rule']}")
        if options["revoke"]:
            for grant in RuleGrant.objects.filter(client=client, rule=rule):
                revoke_grant(grant, acting_user=None)
            self.stdout.write(f"已撤销“{client.name}”读取规则 {rule.code} 的授权")
            return
        grant_rule(client, rule, acting_user=None)
        self.stdout.write(f"已授权“{client.name}”读取规则 {rule.code} 的名单")
