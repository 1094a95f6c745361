"""Base-database pages: records (search), the entity 360° view with history, conflicts to resolve, batch revert.

Thin views: every list and detail narrows with `.restrict(user, action)`; state changes call conflicts.py and
revert.py, which check the officer's region themselves.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from collection.models import Batch
from regions.choices import Action

from .choices import ConflictStatus, Resolution
from .conflicts import may_resolve, resolve_conflict
from .history import record_versions, value_provenance
from .models import Conflict, Entity, Record
from .revert import revert_batch

PER_PAGE = 50


@login_required
def record_list(request):
    """Records the user may view, searchable by entity key or name and filtered by subcategory code."""
    records = Record.objects.restrict(request.user, Action.VIEW).select_related("entity", "subcategory", "region")
    q, sub = request.GET.get("q", "").strip(), request.GET.get("subcategory", "").strip()
    if q:
        records = (
            records.filter(entity__key=q)
            if q.isalnum() and len(q) >= 15
            else records.filter(entity__display_name__startswith=q)
        )
    if sub:
        records = records.filter(subcategory__code=sub)
    page = Paginator(records.order_by("-id"), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "basedb/record_list.html", {"page": page, "q": q, "subcategory": sub})


@login_required
def entity_detail(request, pk: int):
    """One entity's records across subcategories (only those the user may view), each with its history."""
    entity = get_object_or_404(Entity, pk=pk)
    records = list(
        Record.objects.restrict(request.user, Action.VIEW)
        .filter(entity=entity)
        .select_related("subcategory", "region", "last_batch")
        .order_by("status", "subcategory__code")
    )
    if not records:
        raise Http404
    rows = [{"record": r, "versions": record_versions(r), "provenance": value_provenance(r)} for r in records]
    return render(request, "basedb/entity_detail.html", {"entity": entity, "rows": rows})


@login_required
def conflict_list(request):
    """Open conflicts raised by batches of the townships the user reviews."""
    status = request.GET.get("status", ConflictStatus.OPEN)
    conflicts = (
        Conflict.objects.restrict(request.user, Action.REVIEW)
        .filter(status=status)
        .select_related("entity", "subcategory", "existing_region", "incoming_region", "record", "batch")
    )
    page = Paginator(conflicts, PER_PAGE).get_page(request.GET.get("page"))
    for conflict in page:
        conflict.resolvable = may_resolve(request.user, conflict)
    context = {"page": page, "status": status, "statuses": ConflictStatus.choices, "resolutions": Resolution.choices}
    return render(request, "basedb/conflict_list.html", context)


@login_required
@require_POST
def conflict_resolve(request, pk: int):
    """Keep existing / take new / edit one item; resolve_conflict checks that the officer covers both townships."""
    conflict = get_object_or_404(Conflict.objects.restrict(request.user, Action.REVIEW), pk=pk)
    values = None
    if request.POST.get("decision") == Resolution.EDIT:
        values = {request.POST.get("item", ""): request.POST.get("value", "")}
    try:
        resolve_conflict(conflict, decision=request.POST.get("decision", ""), acting_user=request.user,
                         values=values, note=request.POST.get("note", "")[:500])  # fmt: skip
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"冲突 {conflict.pk} 已处理。")
    return redirect("basedb:conflict_list")


@login_required
@require_POST
def batch_revert(request, pk: int):
    """Revert a merged batch (officers of the batch's region); back to the batch page."""
    batch = get_object_or_404(Batch.objects.restrict(request.user, Action.REVIEW), pk=pk)
    try:
        result = revert_batch(batch, acting_user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request, f"已撤销批次 {batch.pk} 的入库：注销 {result.retired} 条，恢复 {result.restored} 条。"
        )
    return redirect("collection:batch_detail", pk=batch.pk)
