"""Confirming a report (确认上报): the values as filled are kept as a dated, numbered Submission with per-cell
notes; the level above sees which of its children confirmed and the roll-up of what they confirmed.

The values are filled again on the server at the moment of confirming (never taken from the browser) and compared
with the fingerprint of the table the user looked at: when the data changed in between, nothing is stored and the
user checks the new figures first.
"""

import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb

from .definition import AVG, COUNT
from .filling import FilledReport, Row
from .models import ReportForm, Submission
from .tables import LEFTOVER, TOTAL, ReportTable, cell_key, table_of

MAX_NOTE = 500


def fingerprint(report: FilledReport) -> str:
    """A digest of every value of the report (rows and 合计)."""
    values = [[r.key, r.values] for r in [*report.rows, report.total]]
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def may_confirm(user, region: str) -> bool:
    """Collectors of the region's subtree and officers above it confirm its reports (the single access decision)."""
    return can(user, Action.UPLOAD, region) or can(user, Action.REVIEW, region)


def clean_notes(report: FilledReport, notes: dict[str, str]) -> dict[str, str]:
    """Only notes of cells the report has, trimmed; empty ones dropped."""
    cells = {cell_key(row, c.code) for row in [*report.rows, report.total] for c in report.columns}
    return {k: v.strip()[:MAX_NOTE] for k, v in notes.items() if k in cells and v and v.strip()}


@transaction.atomic
def confirm_report(form: ReportForm, report: FilledReport, *, acting_user, notes: dict[str, str] | None = None,
                   note: str = "", shown: str | None = None) -> Submission:  # fmt: skip
    """Keep `report` (just filled) as the next confirmed version of (form, region, as_of)."""
    region = report.region.code
    if not may_confirm(acting_user, region):
        raise PermissionDenied("您没有确认上报该区划报表的权限。")
    digest = fingerprint(report)
    if shown is not None and shown != digest:
        raise ValidationError("报表数据在您查看后已有变化，请核对最新数值后再确认上报。")
    ReportForm.objects.select_for_update().get(pk=form.pk)  # one confirmation of a form at a time: numbers in order
    previous = (
        Submission.objects.unrestricted("confirmation: numbering after may_confirm")
        .filter(form=form, region_id=region, as_of=report.as_of)
        .aggregate(n=Max("number"))
    )
    table = table_of(report)
    submission = Submission.objects.create(
        form=form, form_version=form.versions.get(version=form.version), region_id=region, as_of=report.as_of,
        number=(previous["n"] or 0) + 1, layout=table.layout(), rows=[r.as_dict() for r in report.rows],
        total=report.total.as_dict(), fingerprint=digest, notes=clean_notes(report, notes or {}),
        note=note.strip()[:2000], confirmed_by=acting_user,
    )  # fmt: skip
    record_event(
        AuditVerb.CONFIRM_REPORT, actor=acting_user, obj=submission, region=region,
        label=f"报表 {form.code} · {report.as_of} · 第 {submission.number} 版",
        after={"form": form.code, "form_version": form.version, "as_of": str(report.as_of),
               "number": submission.number, "notes": len(submission.notes)},
        note=submission.note,
    )  # fmt: skip
    return submission


def latest_submissions(queryset, form: ReportForm, as_of, regions: list[str]) -> dict[str, Submission]:
    """The latest confirmed version per region of `regions` for the form and date, in one query (`queryset`: the
    submissions the reader may view)."""
    found = queryset.filter(form=form, as_of=as_of, region_id__in=regions).order_by("region_id", "-number")
    latest: dict[str, Submission] = {}
    for submission in found.select_related("confirmed_by"):
        latest.setdefault(submission.region_id, submission)
    return latest


@dataclass
class Children:
    """The children of a report's region: the latest confirmation of each (or None) and the roll-up of those."""

    confirmed: dict[str, Submission]
    rollup: Row
    expected: int

    @property
    def count(self) -> int:
        return len(self.confirmed)


def roll_up(table: ReportTable, submissions) -> Row:
    """合计 of the confirmed totals: counts and sums added, averages from their kept [sum, n]."""
    row = Row("rollup", "已确认下级汇总")
    for column in table.columns:
        if column.measure == AVG:
            parts = [s.total.get("parts", {}).get(column.code, [0, 0]) for s in submissions]
            amount, n = sum(p[0] for p in parts), sum(p[1] for p in parts)
            row.parts[column.code] = [amount, n]
            row.values[column.code] = round(amount / n, column.decimals) if n else None
        else:
            total = sum(s.total["values"].get(column.code) or 0 for s in submissions)
            exact = column.measure == COUNT or not column.decimals
            row.values[column.code] = int(total) if exact else round(total, column.decimals)
    return row


def children_of(queryset, form: ReportForm, report: FilledReport) -> Children | None:
    """Which child regions confirmed this form for the same date, and their roll-up (None for code-table rows)."""
    if not report.definition.by_regions:
        return None
    codes = [r.key for r in report.rows if r.key not in (None, LEFTOVER, TOTAL)]
    confirmed = latest_submissions(queryset, form, report.as_of, codes)
    return Children(confirmed, roll_up(table_of(report), list(confirmed.values())), len(codes))
