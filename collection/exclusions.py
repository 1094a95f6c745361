"""排除此行: the township takes a row out of its batch (a duplicate, a person who moved away, a test row) with a
reason, and can take it back. An excluded row is never merged, is not counted as invalid, holds no key against
its duplicates, and keeps its values and issues for the record; who, when and why are kept on the row and in the
audit trail."""

from django.db import transaction
from django.utils import timezone

from regions.audit import record_event
from regions.choices import AuditVerb

from .fixes import FixRefused, editable_spec, headers_of, recount, refresh_duplicates
from .models import StagedRow

MAX_REASON = 500


def exclude_row(staged_row: StagedRow, *, reason: str, acting_user) -> StagedRow:
    """Exclude a row of an editable batch with a reason (required); its duplicates are decided again without it."""
    reason = (reason or "").strip()[:MAX_REASON]
    if not reason:
        raise FixRefused("排除数据行时须填写原因，例如“与第 12 行重复”“已迁出”。")
    return _change(staged_row, acting_user, AuditVerb.EXCLUDE_ROW, at=timezone.now(), by=acting_user, reason=reason)


def include_row(staged_row: StagedRow, *, acting_user) -> StagedRow:
    """Take back an excluded row: it is verified as before (its issues kept) and its key counts again."""
    if staged_row.excluded_at is None:
        raise FixRefused(f"第 {staged_row.row} 行没有被排除。")
    return _change(staged_row, acting_user, AuditVerb.INCLUDE_ROW, at=None, by=None, reason=None)


def _change(staged_row: StagedRow, user, verb: str, *, at, by, reason) -> StagedRow:
    batch = staged_row.batch
    spec = editable_spec(batch, user)
    with transaction.atomic():
        staged_row.excluded_at, staged_row.excluded_by, staged_row.excluded_reason = at, by, reason
        staged_row.is_valid = at is None and staged_row.errors == 0
        staged_row.save(update_fields=["excluded_at", "excluded_by", "excluded_reason", "is_valid"])
        headers, indexes = headers_of(batch, spec)
        refresh_duplicates(batch, spec, {staged_row.key}, headers, indexes)
        recount(batch)
        # The row and the reason, never the row's values (a person's name or ID number).
        record_event(
            verb, actor=user, obj=batch, region=batch.region_id, label=str(batch),
            after={"row": staged_row.row, "batch_status": batch.status}, note=reason or "",
        )  # fmt: skip
    staged_row.refresh_from_db()
    return staged_row
