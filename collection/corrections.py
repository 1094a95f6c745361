"""Corrections reported from the field: one row of base data (a death, a corrected birth date) submitted by a township
user. It is written as a one-row table of the subcategory, goes through the same pipeline as any upload (create,
verify) and waits in the officers' review queue: a correction is never merged without review.

Work-list feedback (matching: an entry 不属实 because the person 已死亡) and the field reports of the five-level
hierarchy use this one function.
"""

import csv
import tempfile
from pathlib import Path

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from catalog.specs_build import build_table_spec
from regions.access import can
from regions.choices import Action
from regions.models import Region

from .intake import IntakeRefused, create_batches, verify_batch
from .models import Batch

MAX_REASON = 200


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _write_row(path: Path, subcategory: str, values: dict) -> None:
    """The subcategory's columns with their catalog headers, one row of values (UTF-8 CSV, as Excel writes it)."""
    spec = build_table_spec(subcategory)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([item.name for item in spec.items])
        writer.writerow([_cell(values.get(item.key)) for item in spec.items])


def _check_place(place: str, acting_user) -> None:
    """A correction of a placed record is decided by its place: a village's or grid's user reports for it."""
    if not can(acting_user, Action.CORRECT, place):
        region = Region.objects.filter(code=place).first()
        name = f"{region.name}（{region.code}）" if region else place
        raise IntakeRefused(f"您没有为{name}的数据报告更正的权限。", code="forbidden_region")


@transaction.atomic
def submit_correction(subcategory: str, region: str, values: dict, *, acting_user, reason: str,
                      place: str | None = None) -> Batch:  # fmt: skip
    """Submit one row of `subcategory` for township `region` as a correction batch, verified and waiting for review.

    values: element key -> value, as stored in the base database. Without `place`, the acting user must be allowed
    to upload for the township; with `place` (the corrected record's place inside the township), to correct there
    (Action.CORRECT: a village collector, a grid worker). IntakeRefused otherwise, in Chinese. Returns the batch
    (待审核, or 待修正 when the row has errors).
    """
    reason = " ".join(str(reason).split())[:MAX_REASON] or "现场更正"
    if place is not None:
        if not place.startswith(region):
            raise IntakeRefused(f"落位 {place} 不在乡镇（街道）{region} 内。", code="invalid_region")
        _check_place(place, acting_user)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "correction.csv"
        _write_row(path, subcategory, values)
        (batch,) = create_batches(
            path, original_name=f"现场更正-{reason}.csv"[:255], region_code=region, subcategory=subcategory,
            user=acting_user, authorised=place is not None,  # with a place, decided above
        )  # fmt: skip
        verify_batch(batch)
    LogEntry.objects.create(
        user_id=acting_user.pk, content_type=ContentType.objects.get_for_model(Batch), object_id=str(batch.pk),
        object_repr=str(batch)[:200], action_flag=CHANGE, change_message=f"现场更正：{reason}",
    )  # fmt: skip
    return batch
