"""Searching and exporting the audit trail (the 操作记录 page): the events a user may audit, narrowed by the search
form, and the xlsx export written in constant memory."""

from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from grassroots.xlsx import StreamedWorkbook

from .choices import Action
from .forms import OBJECT_TYPES
from .models import AuditEvent, prefix_bounds

EXPORT_LIMIT = 200_000
EXPORT_COLUMNS = ("时间", "操作者类型", "操作者", "命令行", "操作", "对象类型", "对象编号", "对象", "区划代码",
                  "区划", "变更前", "变更后", "说明")  # fmt: skip


def auditable_events(user) -> QuerySet:
    """The events of the regions `user` may audit (regions.access decides: platform administrators and data
    officers, each in their own subtree)."""
    return AuditEvent.objects.restrict(user, Action.AUDIT).select_related("region")


def search_events(events: QuerySet, data: dict) -> QuerySet:
    """`events` narrowed by the search form's cleaned data, newest first."""
    if data.get("actor"):
        events = events.filter(actor_label__icontains=data["actor"])
    for field in ("actor_kind", "verb", "object_type"):
        if data.get(field):
            events = events.filter(**{field: data[field]})
    if data.get("region"):
        low, high = prefix_bounds(data["region"])
        events = events.filter(region_id__gte=low, region_id__lt=high)
    if data.get("object"):
        # An id is looked up in its index; only text that is no object's id is searched in the labels (a scan).
        by_id = events.filter(object_id=data["object"])
        events = by_id if by_id.exists() else events.filter(object_label__icontains=data["object"])
    tz = timezone.get_current_timezone()
    if data.get("date_from"):
        events = events.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tz))
    if data.get("date_to"):
        events = events.filter(created_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, tz))
    return events.order_by("-created_at", "-id")


def summary_text(value) -> str:
    """A before/after summary as one line: key=value pairs (JSON-like values as they are)."""
    if value in (None, "", {}, []):
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}={summary_text(v) if isinstance(v, dict | list) else v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def write_events(book: StreamedWorkbook, events: QuerySet) -> None:
    """The events as one sheet, row by row (iterator: no row is kept once written), at most EXPORT_LIMIT rows."""
    sheet = book.add_sheet("操作记录")
    book.write_values(sheet, 0, EXPORT_COLUMNS, bold=True)
    for n, e in enumerate(events[:EXPORT_LIMIT].iterator(chunk_size=2000), start=1):
        row = (
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"), e.get_actor_kind_display(),
            e.actor_label, e.command, e.get_verb_display(), OBJECT_TYPES.get(e.object_type, e.object_type),
            e.object_id, e.object_label, e.region_id or "", e.region.name if e.region_id else "",
            summary_text(e.before), summary_text(e.after), e.note,
        )  # fmt: skip
        book.write_values(sheet, n, row)
