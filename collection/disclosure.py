"""Who receives a batch's file values in clear, and the access-log row of each such download (issue 11 item 8).

Personal items are masked everywhere by default; the one exception is a township's own batch, because people must
fix what they typed: its collectors (upload rights on the batch's owner) and its reviewing officers download the
annotated workbook with the file's values, and every such download is written to the personal-data access log
(regions.disclosure, filled in by sharing) with the keyed hash of every row's key. Anyone else who may view the
batch (a grid worker of the village) gets no workbook: it would carry the file's values in clear.
"""

from django.core.exceptions import PermissionDenied

from catalog.specs_build import current_specs
from regions.access import can
from regions.choices import Action
from regions.disclosure import Disclosure, record_disclosure

from .models import Batch

REASON = "本乡镇批次修正"
REFUSED = "批注版工作簿含个人信息明文，仅供本批次的采集员和审核人员下载"
ROWS_WITHHELD = "数据行含个人信息原样内容，仅供本批次的采集员和审核人员查看和修正"


def may_correct(user, batch: Batch) -> bool:
    """The batch's own collectors and the officers who review it: they see and fix the values as typed."""
    code = batch.subcategory_code
    return can(user, Action.UPLOAD, batch.owner_id, code) or can(user, Action.REVIEW, batch.region_id, code)


def disclose_report(user, batch: Batch, *, invalid_only: bool = False) -> None:
    """Before a report download: PermissionDenied unless `user` may correct the batch, else one access-log row
    (who, which batch, how many rows, the rows' keys hashed)."""
    if not may_correct(user, batch):
        raise PermissionDenied(REFUSED)
    rows = batch.staged_rows.all()  # scoped by the batch, itself restricted for the user
    if invalid_only:
        rows = rows.filter(is_valid=False, excluded_at__isnull=True)
    keys = list(rows.exclude(key__isnull=True).values_list("key", flat=True).iterator(chunk_size=5000))
    keys += _unkeyed(batch, rows.filter(key__isnull=True))
    kind = "有误的行" if invalid_only else "批注版工作簿"
    record_disclosure(
        Disclosure(
            user=user, region=batch.owner_id, endpoint="batch_report", reason=REASON,
            records=len(keys), keys=[k for k in keys if k],
            params={"batch": batch.pk, "subcategory": batch.subcategory_code or "", "file": kind},
        )
    )  # fmt: skip


def _unkeyed(batch: Batch, rows) -> list:
    """Rows without a key (an ID number failing its check, say) are still someone's: the value typed in the key item
    (for a key of one item), so that "who saw this person" finds the download all the same."""
    spec = current_specs().get(batch.subcategory_code) if batch.subcategory_id else None
    if spec is None or len(spec.key_items) != 1:
        return [None] * rows.count()
    return [str(v.get(spec.key_items[0]) or "") or None for v in rows.values_list("values", flat=True)]
