"""`manage.py fill_report FORM --region CODE [--as-of YYYY-MM-DD] [--json] [-o OUT.xlsx]`: fill a report form from
the base database for a region (its child regions as rows) and print it, as JSON, or write the official xlsx."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from regions.models import Region

from ...definition import FormInvalid
from ...filling import default_as_of, fill_report
from ...formbook import definition_of
from ...models import ReportForm
from ...tables import table_of
from ...workbook import save_report


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of“{text}”不是日期，应为 YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = "Fill a report form for a region from the base database (rows: its child regions, plus 未落到下级区划)."

    def add_arguments(self, parser):
        parser.add_argument("form", help="report form code, e.g. population_overview")
        parser.add_argument("--region", required=True, help="region code: 3706, a county, township or village")
        parser.add_argument("--as-of", type=iso_date, help="统计时点 YYYY-MM-DD (default: the form's own rule)")
        parser.add_argument("--json", action="store_true", help="print the filled report as JSON")
        parser.add_argument("-o", "--output", type=Path, help="write the report as an official xlsx to this path")

    def handle(self, *args, **options):
        form = ReportForm.objects.filter(code=options["form"]).first()
        if form is None:
            raise CommandError(f"报表 {options['form']} 不存在（manage.py load_reports 加载报表）")
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"区划 {options['region']} 不存在")
        try:
            definition = definition_of(form)
        except FormInvalid as exc:
            raise CommandError(f"报表 {form.code} 与当前数据目录不符：{exc}") from exc
        as_of = options["as_of"] or default_as_of(definition.as_of, timezone.localdate())
        report = fill_report(definition, region, as_of)
        if options["output"]:
            with options["output"].open("wb") as target:
                save_report(target, table_of(report))
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        elif not options["output"]:
            self.stdout.write(self.as_text(report))

    @staticmethod
    def as_text(report) -> str:
        columns = report.columns
        lines = [f"{report.definition.title}（{report.region.name} {report.region.code}，统计时点 {report.as_of}）"]
        lines.append("\t".join(["代码", "名称", *(c.label for c in columns)]))
        for row in [*report.rows, report.total]:
            values = ["—" if row.values[c.code] is None else str(row.values[c.code]) for c in columns]
            lines.append("\t".join([row.key if row.key not in (None, "total") else "", row.name, *values]))
        return "\n".join(lines)
