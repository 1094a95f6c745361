"""`manage.py create_api_client NAME --subcategories P0101,P0102 --region 370602 --sensitivity internal`: prints
only the new client's token on stdout (shown once; only its hash is stored)."""

from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from catalog.models import Subcategory
from regions.audit import AuditedCommand
from regions.models import Region

from ...choices import Sensitivity
from ...clients import create_client
from ...models import ApiClient


class Command(AuditedCommand):
    help = "创建数据共享接入方，并在标准输出打印其令牌（仅此一次）"

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--subcategories", required=True, help="逗号分隔的子类代码，如 P0101,P0102")
        parser.add_argument("--region", required=True, help="可读区域（行政区划代码）")
        parser.add_argument("--sensitivity", required=True, choices=Sensitivity.values)
        parser.add_argument("--expires-days", type=int, default=None)
        parser.add_argument("--department", default="")
        parser.add_argument("--contact", default="")
        parser.add_argument("--rate-limit", type=int, default=600)

    def handle(self, *args, **options):
        codes = [c.strip() for c in options["subcategories"].split(",") if c.strip()]
        subcategories = list(Subcategory.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {s.code for s in subcategories})
        if missing or not codes:
            raise CommandError(f"未知的子类：{'、'.join(missing) or '（未指定）'}")
        if not Region.objects.filter(pk=options["region"]).exists():
            raise CommandError(f"未知的行政区划代码：{options['region']}")
        if ApiClient.objects.unrestricted("CLI: client names are unique").filter(name=options["name"]).exists():
            raise CommandError(f"接入方“{options['name']}”已存在")
        if options["rate_limit"] < 1:
            raise CommandError("--rate-limit 应为正整数")
        days = options["expires_days"]
        _client, token = create_client(
            name=options["name"], subcategories=subcategories, region=options["region"],
            max_sensitivity=options["sensitivity"], acting_user=None, department=options["department"],
            contact=options["contact"], rate_limit=options["rate_limit"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )  # fmt: skip
        self.stdout.write(token)
