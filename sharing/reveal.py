"""Revealing personal items on the web (issue 11 item 8): a POST with a reason chosen from a short list, by a user who
collects or reviews the record's region, from the record page (one record) or the entity's 360° page (the entity's
records in the regions the user collects or reviews; the others stay masked). Each record revealed is written to
the personal-data access log (the same log as the API's personal reads, with the keyed hash of the record's key)
and to the audit trail (regions.audit.record_reveal). The page rendered is basedb's page with those items in clear;
nothing is kept, the next visit is masked again.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.views.decorators.http import require_POST

from basedb.choices import RevealReason
from basedb.labels import Presenter
from basedb.models import Record
from basedb.views import entity_context, may_reveal, record_context, viewable_entity, viewable_record
from regions import audit

from .lookups import Lookup, log_keys
from .models import AccessLog

PERSONAL = "personal"


@transaction.atomic
def log_reveal(user, record: Record, *, reason: str, endpoint: str = "reveal") -> AccessLog:
    """One access-log row of a web user's reveal of `record` (and its key's hash), and its audit event."""
    log = AccessLog.objects.create(
        user=user, region_id=record.region_id, endpoint=endpoint, method="POST", records=1, status=200,
        params={"record": record.pk, "subcategory": record.subcategory.code}, reason=reason,
    )  # fmt: skip
    log_keys(log, Lookup([record.entity.key], matched={record.entity.key}))
    items = Presenter().items(record.subcategory.code)
    personal = [k for k in record.values if getattr(items.get(k), "sensitivity", PERSONAL) == PERSONAL]
    audit.record_reveal(user, record, region=record.region_id, items=personal, reason=reason)
    return log


@login_required
@require_POST
def record_reveal(request, pk: int):
    record = viewable_record(request.user, pk)
    if not may_reveal(request.user, record):
        raise PermissionDenied("只有负责该区域采集或审核的人员可以查看个人信息明文")
    log_reveal(request.user, record, reason=_reason(request))
    return render(request, "basedb/record_detail.html", record_context(request.user, record, reveal=True))


def _reason(request) -> str:
    reason = request.POST.get("reason", "")
    if reason not in RevealReason.values:
        raise PermissionDenied("请选择查看事由")
    return RevealReason(reason).label


@login_required
@require_POST
def entity_reveal(request, public_id: str):
    """The 360° page with the personal items of the records the user may reveal in clear, one log row each."""
    entity, records = viewable_entity(request.user, public_id)
    revealable = [r for r in records if may_reveal(request.user, r)]
    if not revealable:
        raise PermissionDenied("只有负责该区域采集或审核的人员可以查看个人信息明文")
    reason = _reason(request)
    with transaction.atomic():
        for record in revealable:
            log_reveal(request.user, record, reason=reason)
    context = entity_context(request.user, entity, records, revealed=frozenset(r.pk for r in revealable))
    return render(request, "basedb/entity_detail.html", context)
