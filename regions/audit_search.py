"""Searching and exporting the audit trail (the 操作记录 page): the events a user may audit, narrowed by the search
form, and the xlsx export written in constant memory."""

from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from grassroots.xlsx import StreamedWorkbook

from .choices import Action, ActorKind, AuditVerb
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


EXPORT_FIELDS = ("created_at", "actor_kind", "actor_label", "command", "verb", "object_type", "object_id",
                 "object_label", "region_id", "region__name", "before", "after", "note")  # fmt: skip


def write_events(book: StreamedWorkbook, events: QuerySet) -> None:
    """The events as one sheet, row by row (tuples straight from the cursor, none kept once written), at most
    EXPORT_LIMIT rows; times in the local time zone, kinds and verbs by their Chinese names."""
    sheet = book.add_sheet("操作记录")
    book.write_values(sheet, 0, EXPORT_COLUMNS, bold=True)
    kinds, verbs, tz = dict(ActorKind.choices), dict(AuditVerb.choices), timezone.get_current_timezone()
    rows = events[:EXPORT_LIMIT].values_list(*EXPORT_FIELDS).iterator(chunk_size=5000)
    for n, (at, kind, actor, command, verb, otype, oid, label, code, name, before, after, note) in enumerate(rows, 1):
        row = (
            at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), kinds.get(kind, kind), actor, command,
            verbs.get(verb, verb), OBJECT_TYPES.get(otype, otype), oid, label, code or "", name or "",
            summary_text(before), summary_text(after), note,
        )  # fmt: skip
        book.write_values(sheet, n, row)
