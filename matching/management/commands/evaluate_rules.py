"""`manage.py evaluate_rules [--rule CODE ...] [--region CODE] [--as-of YYYY-MM-DD] [--json]`: evaluate rules over
the base database and update their work lists. With --json, stdout is one JSON list: one object per rule and
township that has at least one open entry, {"rule", "region", "matched", "new", "closed"}."""

import json
from datetime import date

from django.core.management.base import CommandError

from regions.audit import AuditedCommand
from regions.models import Region

from ...evaluation import evaluate_rules, township_counts
from ...models import Rule


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of 应为 YYYY-MM-DD 格式的日期：{text}") from exc


class Command(AuditedCommand):
    help = "Evaluate the active matching rules (or --rule ...) and store their work lists."

    def add_arguments(self, parser):
        parser.add_argument("--rule", action="append", dest="rules", metavar="CODE", help="rule code (repeatable)")
        parser.add_argument("--region", help="only this region subtree (city, county or township code)")
        parser.add_argument("--as-of", dest="as_of", help="reference date for ages (default: today)")
        parser.add_argument("--json", action="store_true", help="print the per-township counts as JSON")

    def handle(self, *args, **options):
        codes = options["rules"] or None
        if codes:
            unknown = sorted(set(codes) - set(Rule.objects.filter(code__in=codes).values_list("code", flat=True)))
            if unknown:
                raise CommandError(f"没有规则 {'、'.join(unknown)}（先运行 manage.py load_rules）")
        region = options["region"]
        if region and not Region.objects.filter(code=region).exists():
            raise CommandError(f"行政区划代码 {region} 不存在")
        as_of = _date(options["as_of"]) if options["as_of"] else None
        runs = evaluate_rules(codes, region=region, as_of=as_of)
        if options["json"]:
            self.stdout.write(json.dumps(township_counts(runs), ensure_ascii=False))
            return
        for run in runs:
            self.stdout.write(
                f"{run.rule.code} {run.rule.name}：在册 {run.matched}，新增 {run.new}，关闭 {run.closed}"
                f"（{run.seconds:.2f} 秒）"
            )
