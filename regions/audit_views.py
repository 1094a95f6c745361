"""The 操作记录 page: platform administrators and data officers search the audit trail of their regions and export
it to xlsx. Which events a user sees is decided by regions.access (Action.AUDIT), nowhere else."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from grassroots.xlsx import streamed_response

from .access import scope_for
from .audit_search import EXPORT_LIMIT, auditable_events, search_events, summary_text, write_events
from .choices import Action
from .forms import OBJECT_TYPES, AuditFilterForm


def _searched(request):
    if scope_for(request.user, Action.AUDIT).empty:
        raise PermissionDenied("只有平台管理员和数据核验员可以查看操作记录。")
    form = AuditFilterForm(request.GET)
    events = auditable_events(request.user)
    return form, (search_events(events, form.cleaned_data) if form.is_valid() else events.none())


@login_required
def audit_list(request):
    """The events the user may audit, newest first, 50 a page."""
    form, events = _searched(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page:
        event.type_label = OBJECT_TYPES.get(event.object_type, event.object_type)
        event.before_text, event.after_text = summary_text(event.before), summary_text(event.after)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    context = {"form": form, "page": page, "export_query": export_query.urlencode(), "export_limit": EXPORT_LIMIT}
    return render(request, "regions/audit_list.html", context)


@login_required
def audit_export(request):
    """The searched events as xlsx, written in constant memory and streamed (at most EXPORT_LIMIT rows)."""
    _form, events = _searched(request)
    name = f"操作记录-{timezone.localdate():%Y%m%d}.xlsx"
    return streamed_response(name, lambda book: write_events(book, events))
