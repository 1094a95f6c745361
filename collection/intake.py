"""Intake: the one pipeline behind the three doors (web upload, API, `import_workbook`).

create_batches → verify_batch → (review, basedb merge); submit_upload verifies inline or queues a task; dry_run runs
the same pipeline storing nothing. The pipeline itself (reading, recognising, normalising, verifying) lives in
collection/pipeline/ and sees no ORM object; staging.py stores what it yields.
"""

import logging
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from regions.access import can, department_regions
from regions.audit import record_event
from regions.choices import Action, AuditVerb, RegionLevel
from regions.models import Region

from . import leases
from .choices import BatchStatus
from .handoff import base_database
from .held_elsewhere import flag_held_elsewhere
from .models import Batch, BatchIssue
from .pipeline.types import RejectedFile
from .routing import is_area_level, route_columns
from .sinking import merge_if_direct
from .staging import clear_staged, store_chunk
from .summaries import MERGE_COUNTS, Totals, sheet_summary
from .tasks import build_report_task, verify_batch_task
from .uploads import local_copy, store_file, stored_copy

log = logging.getLogger(__name__)


class IntakeRefused(RejectedFile):
    """The upload is refused before its content matters: wrong region, no permission, unknown subcategory.

    `code`: "invalid_region" (not a township, unknown), "forbidden_region" (not the user's), "unknown_subcategory".
    """


def upload_owner(region_code: str, user=None) -> tuple[Region, Region]:
    """(township, owner) of an upload for `region_code`: a township reports for itself; a village (村/社区) reports
    its own rows (its collector's upload), in its township. IntakeRefused when `user` may not upload there (user
    None: system/automation, allowed)."""
    region = Region.objects.filter(code=str(region_code or "").strip()).select_related("parent").first()
    if region is None:
        raise IntakeRefused(f"区划代码 {region_code} 不存在，请填写9位乡镇（街道）代码。", code="invalid_region")
    village = region.level == RegionLevel.VILLAGE
    if region.level != RegionLevel.TOWNSHIP and not village:
        raise IntakeRefused(
            f"{region.name}（{region.code}）不是乡镇（街道）。数据按乡镇（街道）上报，请填写9位乡镇（街道）代码"
            "（村、社区采集员填写本村、社区的12位代码）。",
            code="invalid_region",
        )
    if user is not None and not can(user, Action.UPLOAD, region.code):
        raise IntakeRefused(f"您没有在{region.name}（{region.code}）上报数据的权限。", code="forbidden_region")
    return (region.parent if village else region), region


def region_for_upload(region_code: str, user=None) -> tuple[Region, Region]:
    """(region, owner) of an upload: the township, or for a department's roster the city or county (数据下沉: rows
    routed to townships), that `region_code` names, if `user` may upload there (None: system/automation, allowed);
    the owner is the region itself, or the village of a village collector's upload (upload_owner)."""
    code = str(region_code or "").strip()
    if not is_area_level(code):
        return upload_owner(code, user)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise IntakeRefused(f"区划代码 {region_code} 不存在，请填写区划代码。", code="invalid_region")
    if user is not None and not (department_regions_covering(user, code) or can(user, Action.ADMINISTER, code)):
        raise IntakeRefused(
            f"{region.name}（{region.code}）不是乡镇（街道）。全市或县（市、区）范围的名单只能由数源部门的部门用户上报，"
            "乡镇（街道）请填写9位乡镇（街道）代码。",
            code="invalid_region",
        )
    return region, region


def department_regions_covering(user, code: str) -> list[str]:
    """The department grants of `user` for uploads whose region covers `code`."""
    return [prefix for prefix in department_regions(user, Action.UPLOAD) if code.startswith(prefix)]


def authorise_tables(user, region: Region, recognitions) -> None:
    """Every recognised table must be one `user` may upload in `region` (a department: its own subcategories)."""
    if user is None:
        return
    for recognition in recognitions:
        if not can(user, Action.UPLOAD, region.code, recognition.spec.code):
            raise IntakeRefused(
                f"您没有在{region.name}（{region.code}）上报“{recognition.spec.name}”（{recognition.spec.code}）的权限："
                "部门用户只能上报本部门为数源部门的数据子类。",
                code="forbidden_subcategory",
            )


def prepared(region_code: str, recognitions):
    """The recognitions as verified for this region: a department's roster reads its township columns for routing."""
    return [route_columns(r) for r in recognitions] if is_area_level(region_code) else list(recognitions)


def _specs(subcategory: str | None) -> Mapping:
    """The current verification specs; an unknown subcategory code is refused in Chinese."""
    from catalog.specs_build import specs_on_demand

    specs = specs_on_demand()
    if not specs:
        raise IntakeRefused("数据目录尚未加载，暂时无法核验上报数据，请联系平台管理员。", code="no_catalog")
    if subcategory and subcategory not in specs:
        raise IntakeRefused(
            f"数据子类 {subcategory} 不存在或已停用，请核对子类代码（如 P0101）。", code="unknown_subcategory"
        )
    return specs


def _recognise(path: Path, original_name: str, subcategory: str | None, ahead=None):
    """Open the file (guarded) and find its tables: (workbook, recognitions); RejectedFile when none is found.

    `ahead`: an OpenAhead already guarding and parsing this file in the background (see pipeline/opening.py)."""
    from .pipeline.run import open_upload, recognise_tables

    subcategory = (subcategory or "").strip().upper() or None  # "p0101 " as typed is P0101
    specs = _specs(subcategory)
    workbook = open_upload(path, original_name, ahead)
    recognitions = recognise_tables(workbook, specs, subcategory=subcategory or None)
    if not recognitions:
        raise RejectedFile("没有找到可识别的数据表：请使用平台提供的模板，或检查表头是否与目录中的数据项名称一致。")
    return workbook, recognitions


def create_batches(
    path_or_uploaded_file,
    *,
    original_name: str,
    region_code: str,
    subcategory: str | None = None,
    user=None,
    ahead=None,
    authorised: bool = False,
) -> list[Batch]:
    """Authorise, guard and recognise an upload, store its file once and create one batch per recognised sheet.

    Raises IntakeRefused/RejectedFile (Chinese message) with nothing stored when the upload cannot be taken.
    The batches are in status "uploaded"; `verify_batch` (inline or in a task) does the rest. `ahead`: an
    OpenAhead of the same local file (the CLI starts one before its imports). `authorised`: the caller decided
    already (a correction of a placed record, collection.corrections), `user` is only who uploads.
    """
    user_check = None if authorised else user
    region, owner = region_for_upload(region_code, user_check)
    with local_copy(path_or_uploaded_file, original_name) as (path, sha256, size):
        workbook, recognitions = _recognise(path, original_name, subcategory, ahead)
        authorise_tables(user_check, owner, recognitions)
        recognitions = prepared(region.code, recognitions)
        name = store_file(path, sha256, original_name)
    try:
        batches = _create_batch_rows(recognitions, name, original_name, sha256, size, (region, owner), user)
    except Exception:
        # The stored file may be an earlier upload's (same sha256): delete it only when no batch names it.
        if (
            not Batch.objects.unrestricted("storage: is a stored file still used by any batch")
            .filter(file=name)
            .exists()
        ):
            default_storage.delete(name)
        raise
    if isinstance(path_or_uploaded_file, str | PurePath):  # a spooled upload's temporary file is gone by now
        for batch, recognition in zip(batches, recognitions, strict=True):
            batch._opened = (workbook, recognition)  # verify_batch in this process need not read the file again
    return batches


@transaction.atomic
def _create_batch_rows(recognitions, name, original_name, sha256, size, regions, user) -> list[Batch]:
    from catalog.models import Subcategory
    from catalog.specs_build import current_version

    version = current_version()
    subcategories = Subcategory.objects.in_bulk([r.spec.code for r in recognitions], field_name="code")
    group = uuid.uuid4()  # the sheets of one upload: listed, reported and fixed together
    region, owner = regions
    batches = []
    for recognition in recognitions:
        batch = Batch(
            original_name=original_name[:255],
            sha256=sha256,
            size_bytes=size,
            uploaded_by=user,
            region=region,
            owner=owner,
            subcategory=subcategories[recognition.spec.code],
            catalog_version=version,
            sheet_name=recognition.sheet_name[:100],
            header_row=recognition.header_row,
            column_map=column_map(recognition),
            group=group,
        )
        batch.file.name = name
        batch.save()
        record_event(
            AuditVerb.UPLOAD, actor=user, obj=batch, region=region, label=str(batch),
            after={"subcategory": recognition.spec.code, "sheet": batch.sheet_name, "size_bytes": size},
        )  # fmt: skip
        batches.append(batch)
    return batches


def column_map(recognition) -> dict:
    """Element key → header text and 0-based column of the recognised table (unknown columns left out)."""
    return {c.item: {"header": c.header, "index": c.index} for c in recognition.columns if c.item}


def verify_batch(batch: Batch) -> Batch:
    """Verify a batch from its stored file and store its staged rows and issues chunk by chunk.

    Idempotent: a re-run (e.g. after a worker died) first deletes what an earlier run stored. Ends in "needs_fix"
    (some row invalid) or "pending_review"; "rejected" when the stored file is refused, "failed" on a defect
    (re-raised). Counts and the final status are written in one transaction, so a half-stored batch never looks done.
    The batch is leased for the run (collection/leases.py): LeaseBusy when another living process verifies it.
    """
    # Re-verifying would delete staged rows that merged records and their versions point at.
    if batch.status in (BatchStatus.MERGING, BatchStatus.MERGED):
        raise ValueError(f"batch {batch.pk} is {batch.status}: its staged rows belong to the base database's history")
    with leases.leased(batch.pk, "verify"):
        batch = _verify_leased(batch)
    # A 数源部门's roster whose subcategory merges directly does not wait for review (collection/sinking.py); the
    # merge takes the batch's lease anew.
    if merge_if_direct(batch, merge_valid_rows):
        batch.refresh_from_db()
    return batch


def _verify_leased(batch: Batch) -> Batch:
    from .pipeline.run import process_sheet

    opened = batch.__dict__.pop("_opened", None)
    _mark_verifying(batch)
    started = time.monotonic()
    try:
        with stored_copy(batch) as path:
            workbook, recognition = opened or _reopen(batch, path)
            recognition = prepared(batch.region_id, [recognition])[0]
            batch.column_map = column_map(recognition)
            clear_staged(batch, recognition.issues)
            totals = Totals()
            expected = _expected_rows(workbook, recognition)
            placer = batch_placer(batch, recognition.spec)
            for chunk in process_sheet(
                workbook, recognition, chunk_size=settings.INTAKE_CHUNK_ROWS, parallel=settings.INTAKE_PARALLEL_READ
            ):
                chunk = placer.apply(chunk)
                store_chunk(batch, chunk)
                totals.add(chunk)
                _set_progress(batch, totals.rows, expected)
            base_database().flag_probable_duplicates(batch)  # 疑似重复: name + date + address keys only
            flag_held_elsewhere(batch)  # 跨乡镇冲突 known now, as warnings naming the other township
    except RejectedFile as exc:
        return _finish(batch, BatchStatus.REJECTED, {"error_message": exc.message}, started)
    except leases.LeaseLost:
        raise  # another process verifies the batch now: its status is theirs to write
    except Exception as exc:
        # The township sees only the exception's class; the traceback goes to the log for the administrator.
        log.exception("verifying batch %s failed", batch.pk)
        _finish(batch, BatchStatus.FAILED, {"error_message": f"处理失败：{type(exc).__name__}"}, started)
        raise
    status = BatchStatus.NEEDS_FIX if totals.rows > totals.valid else BatchStatus.PENDING_REVIEW
    _finish(batch, status, totals.as_fields(), started)
    _enqueue_report(batch)
    return batch


def batch_placer(batch: Batch, spec):
    """The RowPlacer of a batch's rows (collection/placing.py): in its township, with the columns of its file; for a
    department's roster, a RoutedPlacer (each row routed to its township first, collection/routing.py)."""
    return row_placer(spec, batch.region_id, batch.column_map, batch.owner)


def row_placer(spec, region_code: str, columns: dict, owner: Region | None = None):
    from .placing import RoutedPlacer, RowPlacer

    if is_area_level(region_code):
        return RoutedPlacer(spec, region_code, column_map=columns)
    if owner is not None and owner.code != region_code:  # a village's upload: its rows must be placed in it
        return RowPlacer(spec, region_code, floor=owner.code, floor_name=owner.name, column_map=columns)
    return RowPlacer(spec, region_code, column_map=columns)


def _enqueue_report(batch: Batch) -> None:
    """A large batch's annotated report takes seconds per 100k rows: build it in the background once verified, so
    the download in a web request is served from the cache (collection.report_files.cached_batch_report).

    Not for a batch with nothing to annotate (no issue at all): its report is rarely asked for, is built when it
    is (collection.report_files.report_download), and building it here kept the one worker from the batch's merge once
    approved (54-125 s of a 100,000-row upload's way to 已入库, docs/performance.md)."""

    if batch.size_bytes <= settings.UPLOAD_INLINE_MAX_BYTES:
        return
    if (
        not batch.invalid
        and not BatchIssue.objects.unrestricted("intake: the batch just verified").filter(batch=batch).exists()
    ):
        return
    transaction.on_commit(lambda: build_report_task.enqueue(batch.pk))


def _mark_verifying(batch: Batch) -> None:
    batch.status, batch.progress, batch.error_message = BatchStatus.VERIFYING, 0, ""
    batch.started_at, batch.finished_at = timezone.now(), None
    batch.save(update_fields=["status", "progress", "error_message", "started_at", "finished_at", "updated_at"])


def _finish(batch: Batch, status: str, values: dict, started: float) -> Batch:
    values = {
        **values,
        "status": status,
        "progress": 100,
        "finished_at": timezone.now(),
        "column_map": batch.column_map,
    }
    values["verify_seconds"] = round(time.monotonic() - started, 3)
    for name, value in values.items():
        setattr(batch, name, value)
    with transaction.atomic():
        leases.check(batch.pk)  # a run that lost its lease must not write the final status over the new run's
        batch.save(update_fields=[*values, "updated_at"])
    return batch


def _reopen(batch: Batch, path: Path):
    """Open the stored file again and find this batch's sheet (same subcategory, same sheet name)."""
    from .pipeline.run import open_upload, recognise_tables

    if not path.exists():
        raise RejectedFile("批次的原始文件已丢失，请重新上传。")
    code = batch.subcategory_code
    workbook = open_upload(path, batch.original_name)
    recognitions = recognise_tables(workbook, _specs(code), subcategory=code)
    for recognition in recognitions:
        # One table: it is this batch's even if the sheet was renamed (a CSV's sheet name is made up anyway).
        if recognition.sheet_name == batch.sheet_name or len(recognitions) == 1:
            return workbook, recognition
    raise RejectedFile(f"在文件中找不到工作表“{batch.sheet_name}”的数据表，请重新上传。")


def _expected_rows(workbook, recognition) -> int | None:
    """The sheet's data rows as far as known before reading them all (for progress), else None."""
    getter = getattr(workbook, "row_count", None)
    with suppress(Exception):  # progress is a nicety: a reader that cannot count must not fail the batch
        total = getter(recognition.sheet_name) if callable(getter) else None
        if total:
            return max(int(total) - recognition.data_start_row + 1, 1)
    return None


def _set_progress(batch: Batch, done: int, expected: int | None) -> None:
    # 100 only when the batch is finished (_finish): a page polling progress then reloads with the final counts.
    progress = min(99, int(done * 100 / expected)) if expected else min(95, batch.progress + 5)
    if progress != batch.progress:
        batch.progress = progress
        Batch.objects.unrestricted("intake: progress of the batch being verified").filter(pk=batch.pk).update(
            progress=progress
        )


def dry_run(
    path,
    *,
    original_name: str,
    region_code: str,
    subcategory: str | None = None,
    user=None,
    on_sheet=None,
    ahead=None,
) -> list[dict]:
    """The same pipeline as create_batches + verify_batch with nothing stored; one summary per recognised sheet.

    The base-database counts say what a merge of the valid rows would do (basedb's preview), chunk by chunk.
    `on_sheet(local_path, workbook, recognition, issues)` is called for each sheet while the file is still open,
    e.g. to write an annotated report of a dry run. `ahead`: as for create_batches.
    """
    from .pipeline.run import process_sheet

    region, owner = region_for_upload(region_code, user)
    preview = base_database().preview_rows
    with local_copy(path, original_name, digest=False) as (local, _sha256, _size):
        workbook, recognitions = _recognise(local, original_name, subcategory, ahead)
        authorise_tables(user, owner, recognitions)
        summaries = []
        for recognition in prepared(region.code, recognitions):
            totals, issues, merge = Totals(), list(recognition.issues), Counter()
            placer = row_placer(recognition.spec, region.code, column_map(recognition), owner)  # as batch_placer
            for chunk in process_sheet(workbook, recognition, parallel=settings.INTAKE_PARALLEL_READ):
                chunk = placer.apply(chunk)
                totals.add(chunk)
                issues.extend(chunk.issues)
                # Valid rows have distinct keys (in-file duplicates are errors), so chunk previews add up.
                result = preview(recognition.spec.code, region.code, chunk.frame[chunk.frame["_valid"]])
                merge.update({name: getattr(result, name) for name in MERGE_COUNTS})
            summaries.append(sheet_summary(None, recognition, region.code, totals, merge, issues))
            if on_sheet is not None:
                on_sheet(local, workbook, recognition, issues)
    return summaries


def submit_upload(
    uploaded_file, *, original_name: str, region_code: str, subcategory: str | None = None, user=None
) -> list[Batch]:
    """Create the batches of an upload and verify them: inline for small files, in a background task otherwise.

    The web upload and the API call this; the batches come back verified or in status "uploaded" with a task id.
    """
    batches = create_batches(
        uploaded_file, original_name=original_name, region_code=region_code, subcategory=subcategory, user=user
    )
    for batch in batches:
        if batch.size_bytes <= settings.UPLOAD_INLINE_MAX_BYTES:
            verify_batch(batch)
        else:
            enqueue_verification(batch)
    return batches


def enqueue_verification(batch: Batch) -> Batch:
    """Queue `verify_batch` for a background worker, once the batch row is committed."""
    batch.__dict__.pop("_opened", None)  # the worker reads the stored file itself

    def enqueue() -> None:
        result = verify_batch_task.enqueue(batch.pk)
        Batch.objects.unrestricted("intake: the batch being queued").filter(pk=batch.pk).update(task_id=str(result.id))
        batch.task_id = str(result.id)

    transaction.on_commit(enqueue)
    return batch


def may_merge(user, batch: Batch) -> bool:
    """Automation without a user may merge; a person needs the review right over the batch's township (a
    department reviewer: over its region, for the department's subcategories)."""
    return user is None or can(user, Action.REVIEW, batch.region_id, batch.subcategory_code)


def process_batch(batch: Batch, *, acting_user=None, merge: bool = False) -> Batch:
    """Verify a batch inline; with `merge`, then merge its valid rows when `acting_user` may (the CLI's path)."""
    verify_batch(batch)
    if merge and batch.status in (BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW) and may_merge(acting_user, batch):
        merge_valid_rows(batch, acting_user=acting_user)
    return batch


def merge_valid_rows(batch: Batch, *, acting_user=None, authorised: bool = False) -> Batch:
    """Merge the batch's valid rows into the base database (the merge basedb registered in collection.handoff),
    holding the batch's lease. `authorised`: the caller decided already (a 数源部门's roster merging directly,
    collection/sinking.py; a resumed merge then acts as the system, whose right needs no check)."""
    Batch.objects.unrestricted("merge of a batch the caller may merge").filter(pk=batch.pk).update(
        merge_by=None if authorised else acting_user
    )
    with leases.leased(batch.pk, "merge"):
        result = base_database().merge_batch(batch, acting_user=acting_user, authorised=authorised)
    batch.refresh_from_db()
    changed = {name: getattr(result, name) for name in ("created", "updated", "unchanged", "conflicts")}
    if any(getattr(batch, name) != value for name, value in changed.items()):
        Batch.objects.unrestricted("intake: the batch being verified").filter(pk=batch.pk).update(**changed)
        batch.refresh_from_db()
    return batch
