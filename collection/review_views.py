"""核验审核: the officers' review queue, the review page of one batch (dry-run preview, approve, return) and bulk
actions; collectors resubmit returned batches from the same page.

Batches come through `.restrict(user, Action.X)`: another region's batch is a 404; a user who may see a batch but not
review it (its collector) gets 403 on the officers' actions. The state changes are collection.review functions.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from regions.access import can, scope_for
from regions.choices import Action

from . import leases, review
from .choices import BatchStatus
from .forms import subcategory_choices, township_choices
from .models import Batch

PER_PAGE = 30
TODO = "todo"  # the queue's default: batches waiting for a decision
SORTS = {
    "created": "created_at",
    "region": "region_id",
    "subcategory": "subcategory__code",
    "rows": "rows",
    "valid": "valid",
    "invalid": "invalid",
    "status": "status",
}


class ReviewFilterForm(forms.Form):
    """Filters of the review queue; township choices are the townships the officer reviews."""

    status = forms.ChoiceField(
        label="状态",
        required=False,
        initial=TODO,
        choices=[(TODO, "待处理（待审核、待修正）"), ("", "全部状态"), *BatchStatus.choices],
    )
    region = forms.ChoiceField(label="乡镇（街道）", required=False)
    subcategory = forms.ChoiceField(label="数据子类", required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "全部乡镇（街道）"), *township_choices(user, Action.REVIEW)]
        self.fields["subcategory"].choices = [("", "全部数据子类"), *subcategory_choices()]

    def filter(self, batches):
        data = self.cleaned_data if self.is_valid() else {"status": TODO}
        status = data.get("status", TODO)
        if status == TODO:
            batches = batches.filter(status__in=review.REVIEWABLE_STATUSES)
        elif status:
            batches = batches.filter(status=status)
        if data.get("region"):
            batches = batches.filter(region_id=data["region"])
        if data.get("subcategory"):
            batches = batches.filter(subcategory__code=data["subcategory"])
        sort = data.get("sort") or ""
        field = SORTS.get(sort.lstrip("-"), "created_at")
        descending = sort.startswith("-") or not sort
        return batches.order_by(f"-{field}" if descending else field, "-id")


def _errors(exc) -> str:
    return "；".join(getattr(exc, "messages", [str(exc)]))


def _batch(request, pk: int) -> Batch:
    """A batch the user may see; another region's batch does not exist for them."""
    queryset = Batch.objects.restrict(request.user, Action.VIEW).select_related("region", "subcategory", "uploaded_by")
    return get_object_or_404(queryset, pk=pk)


def _reviewed_batch(request, pk: int) -> Batch:
    """A batch the user may review: 404 outside their region, 403 for its collectors."""
    batch = _batch(request, pk)
    if not can(request.user, Action.REVIEW, batch.region_id, batch.subcategory_code):
        raise PermissionDenied("只有辖区数据核验员可以审核批次。")
    return batch


@login_required
def review_queue(request):
    """The batches of the officer's region awaiting a decision: filter, sort, page, tick several for bulk actions."""
    if scope_for(request.user, Action.REVIEW).empty:
        raise PermissionDenied("只有数据核验员可以使用核验审核。")
    form = ReviewFilterForm(request.GET or None, user=request.user)
    batches = Batch.objects.restrict(request.user, Action.REVIEW).select_related("region", "subcategory", "uploaded_by")
    page = Paginator(form.filter(batches), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sortless = query.copy()
    sortless.pop("sort", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "sortless": sortless.urlencode()}
    context["sort"] = request.GET.get("sort", "")
    return render(request, "collection/review_queue.html", context)


@login_required
def review_detail(request, pk: int):
    """The review page of a batch: counts, return reason, history, and the way to the 入库预览."""
    batch = _batch(request, pk)
    may_review = can(request.user, Action.REVIEW, batch.region_id, batch.subcategory_code)
    context = {
        "batch": batch,
        "may_review": may_review and batch.status in review.REVIEWABLE_STATUSES,
        "merging": batch.status == BatchStatus.MERGING,
        # "继续入库" as soon as nobody works on the merge (its lease expired): a running worker is not interrupted.
        "may_resume": may_review and batch.status == BatchStatus.MERGING and leases.expired(batch),
        "may_revert": may_review and batch.status == BatchStatus.MERGED,
        "may_resubmit": batch.status == BatchStatus.RETURNED
        and can(request.user, Action.UPLOAD, batch.owner_id, batch.subcategory_code),
        "history": review.review_history(batch),
    }
    # The batch was reverted after its last merge: said at the top, not only in the log.
    last = context["history"][-1] if context["history"] else None
    context["reverted"] = last if last and last.change_message.startswith(review.REVERTED_LOG) else None
    return render(request, "collection/review_detail.html", context)


def seen_token(batch: Batch) -> str:
    """What the officer saw on the preview (valid and invalid rows); approving after the batch changed asks again."""
    return f"{batch.valid}-{batch.invalid}"


@login_required
def review_preview(request, pk: int):
    """入库预览: what approving would change (new, updated item by item, unchanged, conflicting people, the rows left
    behind), and the form that confirms it."""
    batch = _reviewed_batch(request, pk)
    context = {"batch": batch, "preview": None, "seen": seen_token(batch)}
    try:
        context["preview"] = review.approval_preview(batch, acting_user=request.user, page=request.GET.get("page"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("collection:review_detail", pk=batch.pk)
    return render(request, "collection/review_preview.html", context)


@login_required
@require_POST
def review_approve(request, pk: int):
    """Approve one batch, confirmed from its 入库预览: its valid rows are merged into the base database. A POST
    without the preview's confirmation (or after the batch changed) goes to the preview instead."""
    batch = _reviewed_batch(request, pk)
    resuming = batch.status == BatchStatus.MERGING
    if not resuming and request.POST.get("confirm") != seen_token(batch):
        messages.warning(request, "请先查看入库预览，确认将要发生的变化后再通过入库。")
        return redirect("collection:review_preview", pk=batch.pk)
    try:
        result = review.approve_batch(batch, acting_user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _errors(exc))
    else:
        if result is None:
            messages.success(request, f"批次 {batch.pk} 已通过审核，正在后台入库，完成后本页显示入库结果。")
            return redirect("collection:review_detail", pk=batch.pk)
        messages.success(
            request,
            f"批次 {batch.pk} 已入库：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
            f"冲突 {result.conflicts}。",
        )
    return redirect("collection:review_detail", pk=batch.pk)


@login_required
@require_POST
def review_return(request, pk: int):
    """Return one batch to its township with a reason."""
    batch = _reviewed_batch(request, pk)
    try:
        review.return_batch(batch, acting_user=request.user, reason=request.POST.get("reason", ""))
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, f"批次 {batch.pk} 已退回乡镇（街道）修改。")
    return redirect("collection:review_detail", pk=batch.pk)


@login_required
@require_POST
def review_resubmit(request, pk: int):
    """A collector resubmits a returned batch after fixing it."""
    batch = _batch(request, pk)
    try:
        batch = review.submit_batch(batch, acting_user=request.user)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, resubmitted_message(batch))
    return redirect("collection:batch_detail", pk=batch.pk)


def resubmitted_message(batch: Batch) -> str:
    """What resubmitting led to, in the words of the state the badge shows (待修正 or 待审核)."""
    if batch.status == BatchStatus.NEEDS_FIX:
        return (
            f"批次 #{batch.pk} 已重新提交（{batch.get_status_display()}）：仍有 {batch.invalid} 行有误；核验员可以先将"
            f"有效的 {batch.valid} 行审核入库，有误的行修正后才会入库。"
        )
    label = batch.get_status_display()
    return f"批次 #{batch.pk} 已重新提交（{label}）：全部 {batch.rows} 行通过核验，等待核验员审核入库。"


@login_required
@require_POST
def review_bulk(request):
    """Approve or return the ticked batches (only those the officer reviews are considered); approving shows the
    batches and their rows with errors for confirmation first."""
    if scope_for(request.user, Action.REVIEW).empty:
        raise PermissionDenied("只有数据核验员可以批量审核。")
    ids = [int(i) for i in request.POST.getlist("batch") if i.isdigit()]
    batches = list(
        Batch.objects.restrict(request.user, Action.REVIEW)
        .filter(pk__in=ids)
        .select_related("region", "subcategory")
        .order_by("id")
    )
    approve = request.POST.get("action") == "approve"
    if not batches:
        messages.error(request, "请先勾选要处理的批次。")
        return redirect("collection:review_queue")
    if approve and request.POST.get("confirm") != bulk_token(batches):
        return render(request, "collection/review_bulk_confirm.html", bulk_confirmation(batches))
    try:
        if approve:
            result = review.bulk_approve(batches, acting_user=request.user)
        else:
            result = review.bulk_return(batches, acting_user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("collection:review_queue")
    verb = "入库" if approve else "退回"
    if result.done:
        messages.success(request, f"已{verb} {len(result.done)} 个批次：{'、'.join(f'#{b.pk}' for b in result.done)}。")
    for batch, reason in result.refused:
        messages.error(request, f"批次 #{batch.pk} 未{verb}：{reason}")
    return redirect("collection:review_queue")


def bulk_token(batches: list[Batch]) -> str:
    """The batches and their row counts as the confirmation page showed them."""
    return ",".join(f"{b.pk}:{seen_token(b)}" for b in batches)


def bulk_confirmation(batches: list[Batch]) -> dict:
    """The confirmation page of 批量通过入库: each batch with its valid rows and its rows with errors."""
    invalid = sum(b.invalid for b in batches)
    return {
        "batches": batches,
        "token": bulk_token(batches),
        "valid": sum(b.valid for b in batches),
        "invalid": invalid,
        "not_reviewable": [b for b in batches if b.status not in review.REVIEWABLE_STATUSES],
    }
