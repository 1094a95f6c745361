"""Department data sunk to townships (数据下沉), as the townships and the board see it.

A class (subcategory) is sunk to a township when a department's roster (a merged batch of the city or a county,
its rows routed to townships by collection/routing.py) wrote records there. Per class: its 数源部门 (the catalog's
source department), how many records the rosters wrote, and its freshness: the last time a roster changed them,
judged against the class's update cycle (月, 季 ...). Read from the rosters' record versions (indexed by batch), in
one GROUP BY, narrowed by `.restrict(user, Action.VIEW)` like every base-database read: read-only for townships.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.db.models.functions import Length
from django.utils import timezone

from catalog.models import Subcategory
from collection.choices import BatchStatus
from collection.models import Batch
from regions.choices import Action
from regions.models import prefix_bounds

from .models import RecordVersion

TOWNSHIP_LENGTH = 9
# Days after which a class is overdue, by its update cycle (a margin of a few days past the period).
CYCLE_DAYS = {"实时": 3, "日": 3, "周": 10, "月": 35, "季": 100, "半年": 190, "年": 380}


@dataclass
class SunkClass:
    """One sunk class in the user's region: records written by rosters, in how many townships, last update."""

    code: str
    name: str
    department: str
    update_cycle: str
    records: int
    townships: int
    last_update: datetime | None

    @property
    def overdue(self) -> bool:
        """No roster within the class's update cycle (a class without a cycle is never overdue)."""
        days = CYCLE_DAYS.get(self.update_cycle)
        return bool(days and self.last_update and timezone.now() - self.last_update > timedelta(days=days))

    @property
    def age_days(self) -> int | None:
        return (timezone.now() - self.last_update).days if self.last_update else None


def roster_batch_ids() -> list[int]:
    """The merged rosters: batches of the city or a county (their rows went to townships). Not narrowed by user:
    the versions read from them are (`.restrict` below), and a township never sees the batch itself."""
    rosters = (
        Batch.objects.unrestricted("roster ids only: the versions read from them are restricted")
        .alias(length=Length("region_id"))
        .filter(length__lt=TOWNSHIP_LENGTH, status__in=(BatchStatus.MERGED, BatchStatus.MERGING))
    )
    return list(rosters.values_list("pk", flat=True))


def _versions(user, region: str | None):
    versions = RecordVersion.objects.restrict(user, Action.VIEW).filter(batch_id__in=roster_batch_ids())
    if region:
        low, high = prefix_bounds(region)
        versions = versions.filter(region_id__gte=low, region_id__lt=high)
    return versions


def sunk_classes(user, region: str | None = None) -> list[SunkClass]:
    """The classes sunk into the user's region (into `region` when given), by catalog order."""
    rows = (
        _versions(user, region)
        .values("subcategory_id")
        .annotate(records=Count("record_id", distinct=True), townships=Count("region_id", distinct=True),
                  last=Max("created_at"))
        .order_by()
    )  # fmt: skip
    stats = {r["subcategory_id"]: r for r in rows}
    subs = Subcategory.objects.filter(pk__in=stats).order_by("order", "code")
    return [
        SunkClass(s.code, s.name, s.department, s.update_cycle, stats[s.pk]["records"], stats[s.pk]["townships"],
                  stats[s.pk]["last"])
        for s in subs
    ]  # fmt: skip


def sunk_by_township(user, county: str | None = None) -> dict[str, tuple[int, datetime | None]]:
    """{township: (classes sunk there, last update)} in the user's region (in `county` when given)."""
    rows = (
        _versions(user, county)
        .values("region_id")
        .annotate(classes=Count("subcategory_id", distinct=True), last=Max("created_at"))
        .order_by()
    )
    return {r["region_id"]: (r["classes"], r["last"]) for r in rows}
