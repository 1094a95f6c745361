"""Intake pages: 数据上报 (upload), the batch list, the batch page with its progress, rows, fixes and reports.

Every view narrows its querysets with `.restrict(request.user, Action.X)`; a batch of another township is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from grassroots.xlsx import XLSX_CONTENT_TYPE
from regions.access import can
from regions.choices import Action

from . import cellhistory, exclusions, fixes, report, report_files, review, rowsearch
from .choices import EDITABLE_STATUSES, VERIFIED_STATUSES, BatchStatus
from .disclosure import REFUSED, ROWS_WITHHELD, disclose_report, may_correct
from .forms import BatchFilterForm, FixCellForm, RowFilterForm, UploadForm
from .intake import submit_upload
from .models import Batch, BatchIssue, StagedRow, StagedRowEdit
from .pipeline.types import RejectedFile
from .summaries import issue_counts

BATCHES_PER_PAGE = 20
ROWS_PER_PAGE = 50
RUNNING = (BatchStatus.UPLOADED, BatchStatus.VERIFYING)
CORRECTION_KINDS = {  # the kinds of collection/pipeline/normalize.py and type_checks.py
    "fullwidth": "全角字符转半角",
    "whitespace": "去除多余空格",
    "id_lower_x": "身份证号末位 x 改为 X",
    "uppercase": "字母改为大写",
    "date_format": "日期格式统一",
    "excel_serial": "Excel 日期序号转换",
    "code_label": "名称转为标准代码",
    "boolean_label": "是/否统一",
    "phone_format": "电话号码格式统一",
    "number_format": "数字格式统一",
}


def _batch(request, pk: int, action: str = Action.VIEW) -> Batch:
    """The batch if the user may `action` it; a batch of another township does not exist for them."""
    queryset = Batch.objects.restrict(request.user, action).select_related("region", "subcategory", "uploaded_by")
    return get_object_or_404(queryset, pk=pk)


@login_required
def upload(request):
    """数据上报: drop a file, pick the township (preset) and optionally the subcategory, then see the batch."""
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if not form.can_upload:  # officers and others: say why, and where their batches are
        return render(request, "collection/no_upload.html", status=403)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batches = submit_upload(
                data["file"],
                original_name=data["file"].name,
                region_code=data["region"],
                subcategory=data["subcategory"] or None,
                user=request.user,
            )
        except RejectedFile as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(_after_upload(batches))
    context = {"form": form, "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
    return render(request, "collection/upload.html", context, status=400 if form.errors else 200)


def _after_upload(batches: list[Batch]) -> str:
    if len(batches) == 1:
        return reverse("collection:batch_detail", args=[batches[0].pk])
    return f"{reverse('collection:batch_list')}?group={batches[0].group}"


@login_required
def batch_list(request):
    """The batches the user may see, newest first, filtered by status, subcategory, township or upload group."""
    form = BatchFilterForm(request.GET or None, user=request.user)
    batches = Batch.objects.restrict(request.user, Action.VIEW).select_related("region", "subcategory", "uploaded_by")
    page = Paginator(form.filter(batches), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": _query_without_page(request), "group": form.data.get("group")}
    return render(request, "collection/batch_list.html", context)


@login_required
def batch_detail(request, pk: int):
    """The batch page: summary, issues by rule and column, the rows with their issues, fixes and downloads.

    查找行 posts (a name or a full ID number never goes into a URL); a row number or a masked pattern may also come
    as ?q= so that its result can be paged and linked."""
    batch = _batch(request, pk)
    counts = issue_counts(batch)
    rows_form = RowFilterForm(request.GET, counts=counts)  # bound: the default narrows too
    search = rowsearch.parse_search(request.POST.get("q") if request.method == "POST" else request.GET.get("q"))
    if search and request.method == "GET" and not search.fits_in_url:
        search = None  # a name or an ID number in a link: ignored (the form never makes one)
    context = {
        **state_context(request, batch),
        "counts": counts,
        "corrections": (corrections := correction_kinds(batch)),
        "corrected": sum(n for _label, n in corrections),
        "mappings": correction_kinds(batch, mappings=True),
        "file_issues": batch.issues.filter(staged_row__isnull=True)[:50],  # unknown columns, file-level findings
        "rows_form": rows_form,
        "search": search,
        "posted_search": search is not None and request.method == "POST",
        # The rows as typed are the exception of the batch's own collectors and reviewing officers (issue 11 item 8).
        "page": _rows_page(request, batch, rows_form, search) if may_correct(request.user, batch) else None,
        "rows_withheld": ROWS_WITHHELD,
        "query": _query_without_page(request),
        "running": batch.status in RUNNING,
        "rows_done": rows_done(batch),
        "verified": batch.status in VERIFIED_STATUSES,
    }
    return render(request, "collection/batch_detail.html", context)


def state_context(request, batch: Batch) -> dict:
    """What the state snippet (collection/_batch_state.html) needs: the batch, what this user may do with it, and
    how many cells were fixed online (a batch that passes after fixes never reads as "没有发现问题" alone)."""
    may_upload = can(request.user, Action.UPLOAD, batch.owner_id, batch.subcategory_code)
    return {
        "batch": batch,
        "may_upload": may_upload,
        "may_fix": batch.status in EDITABLE_STATUSES and may_upload,
        "may_resubmit": batch.status == BatchStatus.RETURNED and may_upload,
        "may_review": can(request.user, Action.REVIEW, batch.region_id, batch.subcategory_code),
        "may_download": may_correct(request.user, batch),  # the annotated workbooks carry the file's values
        "fixes": StagedRowEdit.objects.restrict(request.user, Action.VIEW).filter(batch=batch).count(),
        "excluded": StagedRow.objects.restrict(request.user, Action.VIEW)
        .filter(batch=batch, excluded_at__isnull=False)
        .count(),
        # a reverted batch is back in review: the state says so (who, when, how many records)
        "reverted": review.last_revert(batch) if batch.status in review.REVIEWABLE_STATUSES else None,
    }


def render_state(request, batch: Batch) -> str:
    """The batch's state as the page shows it, for the page's script to swap in after a fix or while verifying."""
    return render_to_string("collection/_batch_state.html", state_context(request, batch), request=request)


def _rows_page(request, batch: Batch, rows_form: RowFilterForm, search: rowsearch.RowSearch | None):
    """One page of the batch's rows that match the filters (or the search, over all rows), each with its issues
    and fixes (one prefetch each for the page), whose row it is (`who`: name, masked ID number, address) and the
    history of its cells fixed on the web (`cells`: item → cellhistory.CellHistory)."""
    rows = StagedRow.objects.restrict(request.user, Action.VIEW).filter(batch=batch)
    items = rowsearch.identity_items(batch.subcategory_code)
    rows = rows.filter(rowsearch.search_filter(search, items)) if search else rows_form.filter(rows)
    number = 1 if request.method == "POST" else request.GET.get("page")  # a posted search has one page
    page = Paginator(rows.order_by("row"), ROWS_PER_PAGE).get_page(number)
    page.object_list = list(page.object_list)
    prefetch_related_objects(
        page.object_list,
        Prefetch(
            "issues",
            BatchIssue.objects.unrestricted("issues of batches on a page already restricted").order_by(
                "column_index", "id"
            ),
        ),
        Prefetch(
            "edits",
            StagedRowEdit.objects.unrestricted("edits of batches on a page already restricted").select_related(
                "edited_by"
            ),
        ),
    )
    users = {u.pk: u for u in _users({r.excluded_by_id for r in page.object_list} - {None})}
    for row in page.object_list:
        row.who = items.identify(row.values)
        row.cells = {item: h for (_row, item), h in cellhistory.histories(row.edits.all()).items()}
        row.excluder = cellhistory.user_label(users.get(row.excluded_by_id)) if row.excluded_at else ""
    return page


def _users(ids: set[int]):
    """The users who excluded rows of a page (no query when none did)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=ids) if ids else []


def _query_without_page(request) -> str:
    """The current filters as a query string, for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# Writing a label where the catalog stores a code (男 → 1, 是 → true) is how the templates are filled, not a mistake:
# these mappings are shown apart and never counted as 自动修正.
MAPPING_KINDS = frozenset({"code_label", "boolean_label"})


def correction_kinds(batch: Batch, *, mappings: bool = False) -> list[tuple[str, int]]:
    """Automatic corrections of a batch by kind (Chinese label, count), largest first; `mappings`: the label → code
    mappings instead (MAPPING_KINDS)."""
    totals: dict[str, int] = {}
    for key, n in (batch.correction_summary or {}).get("counts", {}).items():
        kind = key.rsplit("/", 1)[-1]
        if (kind in MAPPING_KINDS) != mappings:
            continue
        label = CORRECTION_KINDS.get(kind, kind)
        totals[label] = totals.get(label, 0) + n
    return sorted(totals.items(), key=lambda kv: -kv[1])


@login_required
def batch_progress(request, pk: int):
    """Small JSON polled by the batch page while the batch is verified in the background."""
    batch = _batch(request, pk)
    running = batch.status in RUNNING
    return JsonResponse(
        {
            "status": batch.status,
            "status_label": batch.get_status_display(),
            "progress": batch.progress,
            "rows": batch.rows,
            "rows_done": rows_done(batch),
            "indeterminate": running and not batch.progress,
            "done": not running,
            "state_html": "" if running else render_state(request, batch),
        }
    )


def rows_done(batch: Batch) -> int:
    """Data rows verified so far: the staged rows while the batch is still running (services stores them chunk by
    chunk and writes batch.rows only at the end), else the batch's row count."""
    if batch.status in RUNNING:
        return batch.staged_rows.count()
    return batch.rows


@login_required
@require_POST
def fix_cell(request, pk: int, row_id: int):
    """Correct one cell of a staged row (collector of the batch's township); the row is re-verified at once."""
    batch = _batch(request, pk)
    if (
        not can(request.user, Action.UPLOAD, batch.owner_id, batch.subcategory_code)
        or batch.status not in EDITABLE_STATUSES
    ):
        raise PermissionDenied("只有本乡镇（街道）的采集员可以修正尚未入库的数据。")
    staged = get_object_or_404(StagedRow.objects.restrict(request.user, Action.UPLOAD), pk=row_id, batch=batch)
    form = FixCellForm(request.POST)
    if not form.is_valid():
        return _fix_reply(request, batch, staged, 400, "请填写要修正的数据项和新值。")
    try:
        fixes.fix_cell(staged, form.cleaned_data["item"], form.cleaned_data["value"], acting_user=request.user)
    except fixes.FixRefused as exc:
        return _fix_reply(request, batch, staged, 400, exc.message)
    return _fix_reply(request, batch, staged, 200, f"第 {staged.row} 行已修正并重新核验。")


@login_required
@require_POST
def exclude_row(request, pk: int, row_id: int, include: bool = False):
    """排除此行 (with a reason) or 恢复此行: the township's collector takes a row out of the batch or back in."""
    batch = _batch(request, pk)
    if not can(request.user, Action.UPLOAD, batch.region_id) or batch.status not in EDITABLE_STATUSES:
        raise PermissionDenied("只有本乡镇（街道）的采集员可以排除尚未入库的数据行。")
    staged = get_object_or_404(StagedRow.objects.restrict(request.user, Action.UPLOAD), pk=row_id, batch=batch)
    try:
        if include:
            exclusions.include_row(staged, acting_user=request.user)
        else:
            exclusions.exclude_row(staged, reason=request.POST.get("reason", ""), acting_user=request.user)
    except fixes.FixRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"第 {staged.row} 行已{'恢复' if include else '排除（不入库）'}。")
    return redirect(f"{reverse('collection:batch_detail', args=[batch.pk])}?q={staged.row}#row-{staged.row}")


def _fix_reply(request, batch: Batch, staged: StagedRow, status: int, message: str):
    """JSON for the page's script (the row's new issues and the batch counts); a redirect for a plain form."""
    if request.headers.get("accept", "").startswith("application/json"):
        batch.refresh_from_db()
        staged.refresh_from_db()
        issues = [
            {**i.as_dict(), "rule_label": report.rule_label(i.rule)} for i in staged.issues.order_by("column_index")
        ]
        row = {"id": staged.pk, "row": staged.row, "is_valid": staged.is_valid, "issues": issues}
        counts = {k: getattr(batch, k) for k in ("rows", "valid", "invalid", "status")}
        counts["status_label"] = batch.get_status_display()
        reply = {"ok": status == 200, "message": message, "row": row, "batch": counts}
        return JsonResponse({**reply, "state_html": render_state(request, batch)}, status=status)
    (messages.success if status == 200 else messages.error)(request, message)
    return redirect(f"{reverse('collection:batch_detail', args=[batch.pk])}#row-{staged.row}")


@login_required
def batch_report(request, pk: int, invalid_only: bool = False):
    """下载批注版工作簿 / 仅下载有误的行: the township's file annotated at every issue (xlsx), with the file's values:
    only for the batch's own collectors and reviewing officers, each download in the personal-data access log."""
    batch = _batch(request, pk)
    if not may_correct(request.user, batch):
        raise PermissionDenied(REFUSED)
    if batch.status not in VERIFIED_STATUSES:
        messages.error(request, "批次尚未完成核验，暂时无法下载批注版工作簿。")
        return redirect("collection:batch_detail", pk=batch.pk)
    try:
        stored = report_files.report_download(batch, invalid_only=invalid_only)
    except report_files.ReportPending:
        messages.info(request, "批注版工作簿正在后台生成（大批次约需一两分钟），请稍后再点击下载。")
        return redirect("collection:batch_detail", pk=batch.pk)
    except (FileNotFoundError, RejectedFile):
        return render(request, "collection/report_unavailable.html", {"batch": batch}, status=410)
    disclose_report(request.user, batch, invalid_only=invalid_only)  # the file's values in clear: logged
    name = report_files.report_filename(batch, invalid_only=invalid_only)
    return FileResponse(stored, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
