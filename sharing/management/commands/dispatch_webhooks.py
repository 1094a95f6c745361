"""`manage.py dispatch_webhooks [--loop SECONDS]`: cut new webhook deliveries from the change feed and send every
due one (first attempts and retries whose backoff has passed). Run it from cron, or with --loop as a service."""

import time

from django.core.management.base import BaseCommand

from ...tasks import send_due
from ...webhooks import scan_webhooks


class Command(BaseCommand):
    help = "生成并发送数据共享回调（含到期的重试）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=None, help="每隔多少秒重复一次；不指定则只运行一次")

    def handle(self, *args, **options):
        while True:
            created = len(scan_webhooks())
            sent = send_due()
            self.stdout.write(f"新投递 {created}，已尝试发送 {sent}")
            if options["loop"] is None:
                return
            time.sleep(options["loop"])
