import time

from django.core.management.base import BaseCommand

from basedb.summaries import rebuild_counts, rebuild_links


class Command(BaseCommand):
    help = (
        "Compute the board's record counts and the entity page's link index again from the records "
        "(basedb/summaries.py), one row per count: after records were loaded without the merge (a bulk COPY)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rebuild_counts()
        rebuild_links()
        self.stdout.write(f"已重建记录计数与关联索引，用时 {time.monotonic() - started:.1f} 秒")
