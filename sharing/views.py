"""数据共享 pages for administrators: API clients (create with the token shown once, rotate, revoke) and the
personal-data access log (search, export to xlsx). Access is the platform administrator's (Action.ADMINISTER),
scoped by the client's region through regions.access like everything else."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from grassroots.xlsx import StreamedWorkbook, streamed_response
from regions.access import can, restrict, scope_for
from regions.choices import Action, RegionLevel
from regions.models import Region

from .choices import WEB_ENDPOINT_LABELS
from .clients import create_client, revoke_client, rotate_token, unflag_client
from .forms import AccessLogFilterForm, ApiClientForm
from .lookups import hash_key
from .models import AccessLog, AccessLogKey, ApiClient, KeyQuotaCounter

EXPORT_LIMIT = 100_000
ADMIN_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
LOG_COLUMNS = ("时间", "接入方", "用户", "接口", "方法", "参数", "事由", "返回记录数", "状态码")


def _require_admin(user) -> None:
    if scope_for(user, Action.ADMINISTER).empty:
        raise PermissionDenied("只有平台管理员可以管理数据共享")


def _clients(user):
    return restrict(ApiClient.objects.all(), user, Action.ADMINISTER)


def _client(user, pk: int) -> ApiClient:
    return get_object_or_404(_clients(user), pk=pk)


@login_required
def client_list(request):
    _require_admin(request.user)
    clients = _clients(request.user).select_related("region").prefetch_related("subcategories")
    return render(request, "sharing/client_list.html", {"clients": clients})


@login_required
def client_create(request):
    _require_admin(request.user)
    regions = restrict(Region.objects.filter(is_sample=False, level__in=ADMIN_LEVELS), request.user,
                       Action.ADMINISTER, field="code")  # fmt: skip
    form = ApiClientForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not can(request.user, Action.ADMINISTER, data["region"]):
            form.add_error("region", "超出您的管理范围")
        else:
            days = data.pop("expires_days")
            client, token = create_client(
                **data, acting_user=request.user, expires_at=timezone.now() + timedelta(days=days) if days else None
            )
            return render(request, "sharing/token.html", {"client": client, "token": token})
    return render(request, "sharing/client_form.html", {"form": form})


@login_required
def client_detail(request, pk: int):
    _require_admin(request.user)
    client = _client(request.user, pk)
    audit = client.audit.select_related("acting_user")[:50]
    today = KeyQuotaCounter.objects.filter(client=client, day=timezone.localdate()).first()
    context = {"client": client, "audit": audit, "key_quota": settings.SHARING_DAILY_KEY_QUOTA,
               "keys_today": today.keys if today else 0, "misses_today": today.misses if today else 0}  # fmt: skip
    return render(request, "sharing/client_detail.html", context)


@login_required
@require_POST
def client_unflag(request, pk: int):
    _require_admin(request.user)
    unflag_client(_client(request.user, pk), acting_user=request.user, note=request.POST.get("note", "")[:500])
    return redirect("sharing:client_detail", pk=pk)


@login_required
@require_POST
def client_rotate(request, pk: int):
    _require_admin(request.user)
    client = _client(request.user, pk)
    token = rotate_token(client, acting_user=request.user)
    return render(request, "sharing/token.html", {"client": client, "token": token, "rotated": True})


@login_required
@require_POST
def client_revoke(request, pk: int):
    _require_admin(request.user)
    revoke_client(_client(request.user, pk), acting_user=request.user, note=request.POST.get("note", "")[:500])
    return redirect("sharing:client_detail", pk=pk)


PERSON_RESULTS = 500  # a person search is a POST: one page of results, the rest through the export


def _log_entries(request, form: AccessLogFilterForm):
    entries = restrict(AccessLog.objects.select_related("client", "user"), request.user, Action.ADMINISTER)
    if not form.is_valid():
        return entries.none()
    data = form.cleaned_data
    if data["person"] and request.method == "POST":
        entries = entries.filter(id__in=AccessLogKey.objects.filter(key_hash=hash_key(data["person"])).values("log"))
    if data["client"]:
        entries = entries.filter(client=data["client"])
    if data["user"]:
        entries = entries.filter(user__username=data["user"].strip())
    if data["endpoint"]:
        entries = entries.filter(endpoint=data["endpoint"])
    start, end = form.time_range(timezone.get_current_timezone())
    if start:
        entries = entries.filter(created_at__gte=start)
    if end:
        entries = entries.filter(created_at__lt=end)
    return entries.order_by("-id")


@login_required
def access_log(request):
    """GET: filters in the query string, paginated; POST: the same form plus a person's ID number (never in a URL)."""
    _require_admin(request.user)
    params = request.POST if request.method == "POST" else request.GET
    form = AccessLogFilterForm(params, clients=_clients(request.user))
    entries = _log_entries(request, form)
    if params.get("export") == "xlsx":
        return _export(entries)
    if request.method == "POST":
        rows = list(entries[: PERSON_RESULTS + 1])
        context = {"form": form, "rows": rows[:PERSON_RESULTS], "truncated": len(rows) > PERSON_RESULTS}
        return render(request, "sharing/access_log.html", context)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": page, "query": query.urlencode()}
    return render(request, "sharing/access_log.html", context)


def _export(entries) -> FileResponse:
    """The log as xlsx, streamed in constant memory (up to EXPORT_LIMIT rows); formula-like text stays text."""

    def write(book: StreamedWorkbook) -> None:
        sheet = book.add_sheet("访问日志")
        book.write_values(sheet, 0, LOG_COLUMNS)
        # iterator(): the rows pass through once, so none of 100,000 model instances is kept.
        for n, e in enumerate(entries[:EXPORT_LIMIT].iterator(chunk_size=2000), start=1):
            row = (timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"), e.client.name if e.client else "",
                   e.user.username if e.user else "", _endpoint(e), e.method, _params_text(e.params), e.reason,
                   e.records, e.status)  # fmt: skip
            book.write_values(sheet, n, row)

    return streamed_response("access-log.xlsx", write)


def _endpoint(entry: AccessLog) -> str:
    return WEB_ENDPOINT_LABELS.get(entry.endpoint, entry.endpoint) if entry.client_id is None else entry.endpoint


def _params_text(params: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in params.items())
