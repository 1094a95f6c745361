import json
import time

from django.core.management.base import CommandError

from basedb.placement import place_records
from regions.audit import AuditedCommand
from regions.models import Region


class Command(AuditedCommand):
    help = (
        "Place every record (of a region subtree) again from its grid and address items: the lowest region known, a "
        "grid, a village or the township. Idempotent and set-wise; manual places are kept unless --include-manual."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", default="", help="a region code (county, township ...); default: everything")
        parser.add_argument("--include-manual", action="store_true", help="place manually placed records again too")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    def handle(self, *args, **options):
        region = options["region"].strip()
        if region and not Region.objects.filter(code=region).exists():
            raise CommandError(f"区划代码 {region} 不存在")
        started = time.monotonic()
        report = place_records(region or None, include_manual=options["include_manual"])
        seconds = round(time.monotonic() - started, 2)
        if options["json"]:
            summary = {"region": region or None, "records": report.records, "changed": report.changed,
                       "levels": report.levels, "seconds": seconds}  # fmt: skip
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        levels = "，".join(f"{name} {report.levels.get(key, 0)}" for key, name in LEVEL_NAMES)
        self.stdout.write(f"记录落位：共 {report.records} 条，调整 {report.changed} 条（{levels}），用时 {seconds} 秒")


LEVEL_NAMES = (("grid", "落到网格"), ("village", "落到村（社区）"), ("township", "仅到乡镇（街道）"))
