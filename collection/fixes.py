"""Fixing a cell in place: a collector corrects one value of a staged row and the row is verified again at once."""

import pandas as pd
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb

from .choices import EDITABLE_STATUSES, BatchStatus
from .intake import batch_placer
from .models import Batch, BatchIssue, StagedRow, StagedRowEdit
from .pipeline.types import DUPLICATE_IN_FILE, ERROR, WARNING, VerifiedChunk
from .staging import chunk_records, issue_row


class FixRefused(Exception):
    """A cell fix that cannot be made (wrong state, no permission, unknown item); `message` is Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _as_text(value) -> str | None:
    """A stored (normalised) value as cell text the normaliser accepts again."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def fix_cell(staged_row: StagedRow, item: str, value, *, acting_user) -> StagedRow:
    """A collector corrects one cell: the row is re-normalised and re-verified at once, its issues replaced,
    in-file duplicates of its old and new key re-decided, the batch counts updated and the change recorded
    (StagedRowEdit). The batch goes back to "pending_review" when no invalid row remains (and to "needs_fix" when
    the fix made a valid row invalid)."""
    from .pipeline.dedup import InFileKeys
    from .pipeline.verify import verify_chunk

    batch = staged_row.batch
    spec = _fixable_spec(batch, item, acting_user)
    if staged_row.excluded_at is not None:
        raise FixRefused(f"第 {staged_row.row} 行已排除，如需修正请先点“恢复此行”。")
    # The whole row is verified again, not the one cell: cross-field rules (ID number vs birth date) see the fix.
    texts = {key: _as_text(v) for key, v in staged_row.values.items()}
    texts[item] = None if value is None or str(value) == "" else str(value)
    raw = pd.DataFrame({**{k: [t] for k, t in texts.items()}, "_row": [staged_row.row]}, dtype=object)
    headers, indexes = headers_of(batch, spec)
    # Duplicates are decided below against the whole batch, so the row is verified with no other key known.
    chunk = verify_chunk(raw, spec, headers, keys=InFileKeys(), today=timezone.localdate(), column_indexes=indexes)
    # A fixed grid or address places the row again (a department's row keeps the township its file routed it to).
    chunk = batch_placer(batch, spec).apply(chunk, previous=[staged_row.place])
    old_key, was_valid = staged_row.key, staged_row.is_valid
    with transaction.atomic():
        _apply_fix(staged_row, item, texts[item], chunk, acting_user)
        refresh_duplicates(batch, spec, {old_key, staged_row.key}, headers, indexes)
        recount(batch)
        # The item and the row, never the values (they may be a person's ID number, phone or name).
        record_event(
            AuditVerb.FIX_CELL, actor=acting_user, obj=batch, region=batch.region_id, label=str(batch),
            before={"row": staged_row.row, "item": item, "valid": was_valid},
            after={"row": staged_row.row, "item": item, "valid": staged_row.is_valid, "batch_status": batch.status},
        )  # fmt: skip
    staged_row.refresh_from_db()
    return staged_row


def editable_spec(batch: Batch, user):
    """The batch's spec if `user` may change its rows now (editable state, the township's collector)."""
    from catalog.specs_build import build_table_spec

    if batch.status not in EDITABLE_STATUSES:
        raise FixRefused(f"批次当前状态为“{batch.get_status_display()}”，不能再修改数据。")
    if user is not None and not can(user, Action.UPLOAD, batch.owner_id, batch.subcategory_code):
        raise FixRefused("您没有修改该批次数据的权限。")
    return build_table_spec(batch.subcategory_code)


def _fixable_spec(batch: Batch, item: str, user):
    spec = editable_spec(batch, user)
    if item not in {i.key for i in spec.items}:
        raise FixRefused(f"数据项 {item} 不属于数据子类 {spec.code}。")
    return spec


def headers_of(batch: Batch, spec) -> tuple[dict[str, str], dict[str, int]]:
    # Messages name the column as the township's file did, as verification of the whole file did.
    headers = {i.key: i.name for i in spec.items}
    headers.update({key: c["header"] for key, c in batch.column_map.items()})
    return headers, {key: c["index"] for key, c in batch.column_map.items()}


def refresh_duplicates(batch: Batch, spec, keys: set, headers: dict, indexes: dict) -> None:
    """Re-decide in-file duplicates for these keys: the first row holding a key is clean, every later one carries
    one duplicate_in_file error naming the first (the same rule as verification of the whole file)."""
    from .pipeline import messages

    if not spec.key_items:
        return
    item = spec.key_items[0]
    key_names = "、".join(spec.item(k).name for k in spec.key_items)
    # Both keys: the fix may have freed its old key (a later holder becomes first) and taken a held one.
    for key in {k for k in keys if k}:
        # An excluded row (排除此行) holds no key: the next holder becomes first, the excluded one loses its error.
        BatchIssue.objects.unrestricted("cell fix: issues of rows of the batch being fixed").filter(
            staged_row__batch=batch, staged_row__key=key, rule=DUPLICATE_IN_FILE
        ).delete()
        holders = list(batch.staged_rows.filter(key=key, excluded_at__isnull=True).order_by("row"))
        BatchIssue.objects.bulk_create(
            BatchIssue(
                batch=batch,
                staged_row=holder,
                row=holder.row,
                column=headers.get(item, item)[:200],
                column_index=indexes.get(item),
                item=item,
                rule=DUPLICATE_IN_FILE,
                severity=ERROR,
                message=messages.duplicate_in_file(holders[0].row, key_names),
                value=_as_text(holder.values.get(item)) or "",
            )
            for holder in holders[1:]
        )
        for holder in batch.staged_rows.filter(key=key):
            _restate(holder)


def _restate(staged_row: StagedRow) -> None:
    """A row's error/warning counts and validity from its stored issues."""
    counts = staged_row.issues.aggregate(
        e=Count("id", filter=Q(severity=ERROR)), w=Count("id", filter=Q(severity=WARNING))
    )
    staged_row.errors, staged_row.warnings = counts["e"], counts["w"]
    staged_row.is_valid = counts["e"] == 0 and staged_row.excluded_at is None  # an excluded row is never merged
    staged_row.save(update_fields=["errors", "warnings", "is_valid"])


def _apply_fix(staged_row: StagedRow, item: str, entered: str | None, chunk: VerifiedChunk, user) -> None:
    old = staged_row.values.get(item)
    _row, values, key, valid = chunk_records(chunk.frame)[0]
    staged_row.values, staged_row.key, staged_row.is_valid = values, key, valid
    staged_row.place = chunk.frame["_place"].iloc[0]
    staged_row.errors = sum(1 for i in chunk.issues if i.severity == ERROR)
    staged_row.warnings = sum(1 for i in chunk.issues if i.severity == WARNING)
    staged_row.save(update_fields=["values", "key", "is_valid", "errors", "warnings", "place"])
    staged_row.issues.all().delete()  # its duplicate_in_file error too: refresh_duplicates decides it again
    BatchIssue.objects.bulk_create(issue_row(staged_row.batch, i, staged_row.pk) for i in chunk.issues)
    StagedRowEdit.objects.create(
        batch=staged_row.batch,
        staged_row=staged_row,
        item=item,
        old_value=old,
        new_value=values.get(item),
        entered=entered or "",
        edited_by=user,
    )


def recount(batch: Batch) -> None:
    """Recompute a batch's row counts from its staged rows and move it between "needs_fix" and "pending_review"."""
    counts = batch.staged_rows.aggregate(
        rows=Count("id"),
        valid=Count("id", filter=Q(is_valid=True)),
        excluded=Count("id", filter=Q(excluded_at__isnull=False)),
    )
    batch.rows, batch.valid = counts["rows"], counts["valid"]
    batch.invalid = batch.rows - batch.valid - counts["excluded"]  # excluded rows are neither valid nor to fix
    duplicates = batch.issues.filter(rule=DUPLICATE_IN_FILE, severity=ERROR, staged_row__excluded_at__isnull=True)
    batch.duplicates_in_file = duplicates.values("row").distinct().count()
    # A returned batch stays returned until the collector resubmits it (review.submit_batch).
    if batch.status in (BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW):
        batch.status = BatchStatus.NEEDS_FIX if batch.invalid else BatchStatus.PENDING_REVIEW
    batch.save(update_fields=["rows", "valid", "invalid", "duplicates_in_file", "status", "updated_at"])
