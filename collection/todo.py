"""The collector's to-do list (首页 待办): the batches of his townships that need him, each with what to do next."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from regions.choices import Action

from .choices import BatchStatus
from .models import Batch

TODO_LIMIT = 30
FAILED_DAYS = 14  # a refused or failed upload stays on the list this long (it is usually uploaded again at once)
ORDER = {BatchStatus.RETURNED: 0, BatchStatus.NEEDS_FIX: 1, BatchStatus.MERGED: 2, BatchStatus.FAILED: 3,
         BatchStatus.REJECTED: 3}  # fmt: skip


@dataclass
class Todo:
    """One batch to work on: the batch and the next step in words."""

    batch: Batch
    next_step: str


def collector_todo(user) -> list[Todo]:
    """Batches needing work: returned, to fix, merged with invalid rows left, refused or failed lately (one query)."""
    since = timezone.now() - timedelta(days=FAILED_DAYS)
    needs = (
        Q(status__in=(BatchStatus.RETURNED, BatchStatus.NEEDS_FIX))
        | Q(status=BatchStatus.MERGED, invalid__gt=0)
        | Q(status__in=(BatchStatus.FAILED, BatchStatus.REJECTED), created_at__gte=since)
    )
    batches = Batch.objects.restrict(user, Action.UPLOAD).filter(needs).select_related("region", "subcategory")
    found = sorted(batches.order_by("-created_at")[:TODO_LIMIT], key=lambda b: ORDER.get(b.status, 9))
    return [Todo(b, next_step(b)) for b in found]


def next_step(batch: Batch) -> str:
    """What the collector does next with a batch, in the words of its state card (collection/_batch_state.html)."""
    if batch.status == BatchStatus.RETURNED:
        return f"按退回原因修正后重新提交：{batch.return_reason[:60]}" if batch.return_reason else "修正后重新提交审核"
    if batch.status == BatchStatus.NEEDS_FIX:
        return f"修正 {batch.invalid} 行有误的数据（在线修正、排除，或改好文件重新上传）"
    if batch.status == BatchStatus.MERGED:
        return f"有误的 {batch.invalid} 行未入库：下载“仅下载有误的行”，改好后重新上传"
    return "文件未能处理：按批次页面的提示重新上传"
