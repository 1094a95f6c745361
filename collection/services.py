"""Intake domain functions: the one pipeline behind the three doors (web upload, API, `import_workbook`).

create_batches → verify_batch → (review, basedb merge). The pipeline itself (reading, recognising, normalising,
verifying) lives in collection/pipeline/ and sees no ORM object; this module stores what it yields.
"""

import hashlib
import json
import logging
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from json.encoder import encode_basestring  # C-accelerated; keeps non-ASCII text as is
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from regions.access import can
from regions.choices import Action, RegionLevel
from regions.models import Region

from .choices import EDITABLE_STATUSES, BatchStatus
from .models import Batch, BatchIssue, StagedRow, StagedRowEdit
from .pipeline.types import DUPLICATE_IN_FILE, ERROR, WARNING, Issue, RejectedFile, VerifiedChunk

log = logging.getLogger(__name__)

DB_BATCH_SIZE = 2000  # rows per INSERT: large enough to be fast, small enough for SQLite's variable limit
CORRECTION_SAMPLE_SIZE = 200  # corrections kept per batch for display; the counts cover all of them
SUMMARY_KEYS = (
    "batch", "subcategory", "region", "status", "rows", "valid", "invalid", "duplicates_in_file", "corrections",
    "created", "updated", "unchanged", "conflicts",
)  # fmt: skip


class IntakeRefused(RejectedFile):
    """The upload is refused before its content matters: wrong region, no permission, unknown subcategory.

    `code`: "invalid_region" (not a township, unknown), "forbidden_region" (not the user's), "unknown_subcategory".
    """


# ---------------------------------------------------------------------------------------------------------------
# Door-independent helpers


def township_for_upload(region_code: str, user=None) -> Region:
    """The township `region_code` names, if `user` may upload there (user None: system/automation, allowed)."""
    region = Region.objects.filter(code=str(region_code or "").strip()).first()
    if region is None:
        raise IntakeRefused(f"区划代码 {region_code} 不存在，请填写9位乡镇（街道）代码。", code="invalid_region")
    if region.level != RegionLevel.TOWNSHIP:
        raise IntakeRefused(
            f"{region.name}（{region.code}）不是乡镇（街道）。数据按乡镇（街道）上报，请填写9位乡镇（街道）代码。",
            code="invalid_region",
        )
    if user is not None and not can(user, Action.UPLOAD, region.code):
        raise IntakeRefused(f"您没有在{region.name}（{region.code}）上报数据的权限。", code="forbidden_region")
    return region


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


@contextmanager
def _local_file(source, original_name: str, digest: bool = True) -> Iterator[tuple[Path, str | None, int]]:
    """A local path of the upload (a path, or an uploaded file spooled to a temporary file), its sha256 (None for
    a local path when `digest` is false: a dry run stores nothing to name) and size."""
    if isinstance(source, str | PurePath):
        path = Path(source)
        yield path, _sha256_of(path) if digest else None, path.stat().st_size
        return
    suffix = PurePath(original_name).suffix[:10]
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        digest, size = hashlib.sha256(), 0
        for chunk in source.chunks() if hasattr(source, "chunks") else iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
            tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name), digest.hexdigest(), size


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _store_file(path: Path, sha256: str, original_name: str) -> str:
    """Store the upload once: a file already stored under the same sha256 is reused. Returns the storage name."""
    for name in Batch.objects.filter(sha256=sha256).values_list("file", flat=True).distinct()[:5]:
        if name and default_storage.exists(name):
            return name
    stamp = timezone.localtime()
    suffix = PurePath(original_name).suffix.lower()[:10]
    name = f"uploads/{stamp:%Y/%m}/{sha256[:16]}{suffix}"
    with path.open("rb") as fh:
        return default_storage.save(name, File(fh))


# ---------------------------------------------------------------------------------------------------------------
# Create and verify


def create_batches(
    path_or_uploaded_file,
    *,
    original_name: str,
    region_code: str,
    subcategory: str | None = None,
    user=None,
    ahead=None,
) -> list[Batch]:
    """Authorise, guard and recognise an upload, store its file once and create one batch per recognised sheet.

    Raises IntakeRefused/RejectedFile (Chinese message) with nothing stored when the upload cannot be taken.
    The batches are in status "uploaded"; `verify_batch` (inline or in a task) does the rest. `ahead`: an
    OpenAhead of the same local file (the CLI starts one before its imports).
    """
    region = township_for_upload(region_code, user)
    with _local_file(path_or_uploaded_file, original_name) as (path, sha256, size):
        workbook, recognitions = _recognise(path, original_name, subcategory, ahead)
        name = _store_file(path, sha256, original_name)
    try:
        batches = _create_batch_rows(recognitions, name, original_name, sha256, size, region, user)
    except Exception:
        if not Batch.objects.filter(file=name).exists():
            default_storage.delete(name)
        raise
    if isinstance(path_or_uploaded_file, str | PurePath):  # a spooled upload's temporary file is gone by now
        for batch, recognition in zip(batches, recognitions, strict=True):
            batch._opened = (workbook, recognition)  # verify_batch in this process need not read the file again
    return batches


@transaction.atomic
def _create_batch_rows(recognitions, name, original_name, sha256, size, region, user) -> list[Batch]:
    from catalog.models import Subcategory
    from catalog.specs_build import current_version

    version = current_version()
    subcategories = Subcategory.objects.in_bulk([r.spec.code for r in recognitions], field_name="code")
    group = uuid.uuid4()
    batches = []
    for recognition in recognitions:
        batch = Batch(
            original_name=original_name[:255],
            sha256=sha256,
            size_bytes=size,
            uploaded_by=user,
            region=region,
            subcategory=subcategories[recognition.spec.code],
            catalog_version=version,
            sheet_name=recognition.sheet_name[:100],
            header_row=recognition.header_row,
            column_map=column_map(recognition),
            group=group,
        )
        batch.file.name = name
        batch.save()
        batches.append(batch)
    return batches


def column_map(recognition) -> dict:
    """Element key → header text and 0-based column of the recognised table (unknown columns left out)."""
    return {c.item: {"header": c.header, "index": c.index} for c in recognition.columns if c.item}


@dataclass
class _Totals:
    """Running totals of one sheet while its chunks pass."""

    rows: int = 0
    valid: int = 0
    duplicates: int = 0
    correction_counts: Counter = field(default_factory=Counter)
    correction_sample: list = field(default_factory=list)

    def add(self, chunk: VerifiedChunk) -> None:
        self.rows += len(chunk.frame)
        self.valid += int(chunk.frame["_valid"].sum()) if len(chunk.frame) else 0
        self.duplicates += len(
            {i.row for i in chunk.issues if i.rule == DUPLICATE_IN_FILE and i.severity == ERROR and i.row}
        )
        self.correction_counts.update(chunk.correction_counts)
        room = CORRECTION_SAMPLE_SIZE - len(self.correction_sample)
        self.correction_sample.extend(vars(c) for c in chunk.corrections[: max(room, 0)])

    def as_fields(self) -> dict:
        """Batch field values of these totals."""
        counts = {f"{item}/{kind}": n for (item, kind), n in sorted(self.correction_counts.items())}
        return {
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.rows - self.valid,
            "duplicates_in_file": self.duplicates,
            "corrections": sum(self.correction_counts.values()),
            "correction_summary": {"counts": counts, "sample": self.correction_sample},
        }


def verify_batch(batch: Batch) -> Batch:
    """Verify a batch from its stored file and store its staged rows and issues chunk by chunk.

    Idempotent: a re-run (e.g. after a worker died) first deletes what an earlier run stored. Ends in "needs_fix"
    (some row invalid) or "pending_review"; "rejected" when the stored file is refused, "failed" on a defect
    (re-raised). Counts and the final status are written in one transaction, so a half-stored batch never looks done.
    """
    from .pipeline.run import process_sheet

    opened = batch.__dict__.pop("_opened", None)
    if batch.status in (BatchStatus.MERGING, BatchStatus.MERGED):
        raise ValueError(f"batch {batch.pk} is {batch.status}: its staged rows belong to the base database's history")
    _mark_verifying(batch)
    started = time.monotonic()
    try:
        with _stored_copy(batch) as path:
            workbook, recognition = opened or _reopen(batch, path)
            batch.column_map = column_map(recognition)
            _clear_staged(batch, recognition.issues)
            totals = _Totals()
            expected = _expected_rows(workbook, recognition)
            for chunk in process_sheet(workbook, recognition, parallel=settings.INTAKE_PARALLEL_READ):
                _store_chunk(batch, chunk)
                totals.add(chunk)
                _set_progress(batch, totals.rows, expected)
            _flag_probable_duplicates(batch)
    except RejectedFile as exc:
        return _finish(batch, BatchStatus.REJECTED, {"error_message": exc.message}, started)
    except Exception as exc:
        log.exception("verifying batch %s failed", batch.pk)
        _finish(batch, BatchStatus.FAILED, {"error_message": f"处理失败：{type(exc).__name__}"}, started)
        raise
    status = BatchStatus.NEEDS_FIX if totals.rows > totals.valid else BatchStatus.PENDING_REVIEW
    _finish(batch, status, totals.as_fields(), started)
    _enqueue_report(batch)
    return batch


def _flag_probable_duplicates(batch: Batch) -> None:
    """疑似重复 warnings for subcategories keyed by name + date + address (basedb decides; strong keys: nothing)."""
    try:
        from basedb.duplicates import flag_probable_duplicates
    except ImportError:
        return
    flag_probable_duplicates(batch)


def _enqueue_report(batch: Batch) -> None:
    """A large batch's annotated report takes seconds per 100k rows: build it in the background once verified, so
    the download in a web request is served from the cache (collection.report.cached_batch_report)."""

    if batch.size_bytes <= settings.UPLOAD_INLINE_MAX_BYTES:
        return
    from .tasks import build_report_task

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
        batch.save(update_fields=[*values, "updated_at"])
    return batch


@contextmanager
def _stored_copy(batch: Batch) -> Iterator[Path]:
    """A local path of the batch's stored file (remote storages are copied to a temporary file)."""
    try:
        local = Path(batch.file.path)
    except NotImplementedError:  # a storage without local paths (S3 and the like)
        local = None
    if local is not None:
        yield local
        return
    with batch.file.open("rb") as src, tempfile.NamedTemporaryFile(suffix=PurePath(batch.file.name).suffix) as tmp:
        shutil.copyfileobj(src, tmp)
        tmp.flush()
        yield Path(tmp.name)


def _reopen(batch: Batch, path: Path):
    """Open the stored file again and find this batch's sheet (same subcategory, same sheet name)."""
    from .pipeline.run import open_upload, recognise_tables

    if not path.exists():
        raise RejectedFile("批次的原始文件已丢失，请重新上传。")
    code = batch.subcategory_code
    workbook = open_upload(path, batch.original_name)
    recognitions = recognise_tables(workbook, _specs(code), subcategory=code)
    for recognition in recognitions:
        if recognition.sheet_name == batch.sheet_name or len(recognitions) == 1:
            return workbook, recognition
    raise RejectedFile(f"在文件中找不到工作表“{batch.sheet_name}”的数据表，请重新上传。")


def _expected_rows(workbook, recognition) -> int | None:
    """The sheet's data rows as far as known before reading them all (for progress), else None."""
    getter = getattr(workbook, "row_count", None)
    with suppress(Exception):
        total = getter(recognition.sheet_name) if callable(getter) else None
        if total:
            return max(int(total) - recognition.data_start_row + 1, 1)
    return None


def _set_progress(batch: Batch, done: int, expected: int | None) -> None:
    progress = min(99, int(done * 100 / expected)) if expected else min(95, batch.progress + 5)
    if progress != batch.progress:
        batch.progress = progress
        Batch.objects.filter(pk=batch.pk).update(progress=progress)


@transaction.atomic
def _clear_staged(batch: Batch, recognition_issues: list[Issue]) -> None:
    """Delete what an earlier run stored for this batch and store the recognition's issues (unknown columns)."""
    # Raw deletes: a 100k-row batch must not be loaded into Python to be deleted; the cascades are explicit here.
    for queryset in (batch.issues.all(), batch.edits.all(), batch.staged_rows.all()):
        queryset._raw_delete(queryset.db)
    BatchIssue.objects.bulk_create([_issue_row(batch, issue, None) for issue in recognition_issues])
    for name in ("rows", "valid", "invalid", "duplicates_in_file", "corrections", "created", "updated", "unchanged"):
        setattr(batch, name, 0)
    batch.conflicts, batch.correction_summary = 0, {}


def _issue_row(batch: Batch, issue: Issue, staged_row_id: int | None) -> BatchIssue:
    return BatchIssue(
        batch=batch,
        staged_row_id=staged_row_id,
        row=issue.row,
        column=(issue.column or "")[:200],
        column_index=issue.column_index,
        item=issue.item or "",
        rule=issue.rule,
        severity=issue.severity,
        message=issue.message,
        value="" if issue.value is None else str(issue.value),
    )


def _column_list(series) -> list:
    """A frame column as a Python list with NaN/NA as None (the pipeline's frames already hold None)."""
    return series.astype(object).where(series.notna(), None).tolist() if series.hasnans else series.tolist()


def chunk_records(frame) -> list[tuple[int, dict, str | None, bool]]:
    """(row, values, key, is_valid) of every row of a verified frame; NaN/NA become None."""
    items = [c for c in frame.columns if not str(c).startswith("_")]
    columns = [_column_list(frame[c]) for c in items]
    values = (
        [dict(zip(items, cells, strict=True)) for cells in zip(*columns, strict=True)] if items else [{}] * len(frame)
    )
    keys = _column_list(frame["_key"])
    rows, valid = frame["_row"].astype(int).tolist(), frame["_valid"].astype(bool).tolist()
    return list(zip(rows, values, keys, valid, strict=True))


STAGED_COLUMNS = ("batch", "row", "values", "key", "is_valid", "errors", "warnings", "merge_state")
ISSUE_COLUMNS = ("batch", "staged_row", "row", "column", "column_index", "item", "rule", "severity", "message", "value")


@transaction.atomic
def _store_chunk(batch: Batch, chunk: VerifiedChunk) -> None:
    """Insert one chunk's staged rows, then its issues linked to them (plain tuples, COPY on PostgreSQL)."""
    frame = chunk.frame
    per_row = Counter((i.row, i.severity) for i in chunk.issues)
    rows, keys = frame["_row"].astype(int).tolist(), _column_list(frame["_key"])
    valid, values = frame["_valid"].astype(bool).tolist(), rows_as_json(frame)
    bulk_insert(
        StagedRow,
        STAGED_COLUMNS,
        (
            (batch.pk, row, json_text, key, ok, per_row[(row, ERROR)], per_row[(row, WARNING)], "pending")
            for row, json_text, key, ok in zip(rows, values, keys, valid, strict=True)
        ),
    )
    if not chunk.issues:
        return
    ids = dict(batch.staged_rows.filter(row__gte=min(rows), row__lte=max(rows)).values_list("row", "id"))
    bulk_insert(BatchIssue, ISSUE_COLUMNS, (_issue_tuple(batch, i, ids.get(i.row)) for i in chunk.issues))


def rows_as_json(frame) -> list[str]:
    """Each row's item values as JSON object text, built column by column: every distinct value of a column is
    encoded once, then each row's pieces are joined; no per-row dict or json.dumps (several times faster)."""
    items = [c for c in frame.columns if not str(c).startswith("_")]
    pieces = []
    for n, item in enumerate(items):
        codes, distinct = pd.factorize(frame[item].astype(object), use_na_sentinel=True)
        prefix = f"{',' if n else ''}{encode_basestring(str(item))}:"
        encoded = np.array([*(prefix + _json_value(v) for v in distinct), prefix + "null"], dtype=object)
        pieces.append(encoded[codes].tolist())
    return ["{" + "".join(parts) + "}" for parts in zip(*pieces, strict=True)] if pieces else ["{}"] * len(frame)


def _json_value(value) -> str:
    return encode_basestring(value) if isinstance(value, str) else json.dumps(value)


def _issue_tuple(batch: Batch, issue: Issue, staged_row_id: int | None) -> tuple:
    value = "" if issue.value is None else str(issue.value)
    return (batch.pk, staged_row_id, issue.row, (issue.column or "")[:200], issue.column_index, issue.item or "",
            issue.rule, issue.severity, issue.message, value)  # fmt: skip


def bulk_insert(model, fields: tuple[str, ...], rows) -> None:
    """Insert plain tuples without building model instances: COPY on PostgreSQL, executemany in slices elsewhere.

    Django's bulk_create spends most of a 100k-row upload preparing instances; intake rows need none of that.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608 (model names)
        rows = iter(rows)
        while batch := list(islice(rows, DB_BATCH_SIZE)):
            cursor.executemany(sql, batch)


# ---------------------------------------------------------------------------------------------------------------
# Dry run and summaries


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

    region = township_for_upload(region_code, user)
    preview = _merge_preview()
    with _local_file(path, original_name, digest=False) as (local, _sha256, _size):
        workbook, recognitions = _recognise(local, original_name, subcategory, ahead)
        summaries = []
        for recognition in recognitions:
            totals, issues, merge = _Totals(), list(recognition.issues), Counter()
            for chunk in process_sheet(workbook, recognition, parallel=settings.INTAKE_PARALLEL_READ):
                totals.add(chunk)
                issues.extend(chunk.issues)
                if preview is not None:
                    # Valid rows have distinct keys (in-file duplicates are errors), so chunk previews add up.
                    result = preview(recognition.spec.code, region.code, chunk.frame[chunk.frame["_valid"]])
                    merge.update({name: getattr(result, name) for name in MERGE_COUNTS})
            summaries.append(_summary_dict(None, recognition, region.code, totals, merge, issues))
            if on_sheet is not None:
                on_sheet(local, workbook, recognition, issues)
    return summaries


MERGE_COUNTS = ("created", "updated", "unchanged", "conflicts")
# Issues in the order a person reads the sheet: file-level issues first (on every database), then by row and column.
ISSUE_ORDER = (F("row").asc(nulls_first=True), F("column_index").asc(nulls_first=True), "id")


def _merge_preview():
    """basedb's `preview_rows(subcategory, region_code, frame) -> MergeResult`, or None before basedb has one."""
    try:
        from basedb.merge import preview_rows
    except ImportError:
        return None
    return preview_rows


def _summary_dict(batch_id, recognition, region_code, totals: _Totals, merge: dict, issues: list[Issue]) -> dict:
    fields = totals.as_fields()
    ordered = sorted(issues, key=lambda i: (i.row or 0, i.column_index if i.column_index is not None else -1))
    return {
        "batch": batch_id,
        "subcategory": recognition.spec.code,
        "region": region_code,
        "status": None,
        **{k: fields[k] for k in ("rows", "valid", "invalid", "duplicates_in_file", "corrections")},
        **{k: merge.get(k, 0) for k in ("created", "updated", "unchanged", "conflicts")},
        "sheet": recognition.sheet_name,
        "header_row": recognition.header_row,
        "issues": [i.as_dict() for i in ordered],
    }


def summary(batch: Batch) -> dict:
    """The batch as the CLI's JSON output: counts, status and every issue in row order."""
    issues = batch.issues.order_by(*ISSUE_ORDER).values("row", "column", "item", "rule", "severity", "message", "value")
    return {
        "batch": batch.pk,
        "subcategory": batch.subcategory_code,
        "region": batch.region_id,
        **{k: getattr(batch, k) for k in SUMMARY_KEYS[3:]},
        "sheet": batch.sheet_name,
        "header_row": batch.header_row,
        "issues": [{**i, "column": i["column"] or None, "item": i["item"] or None} for i in issues],
    }


def issue_counts(batch: Batch) -> dict:
    """Errors and warnings of a batch by rule and by column, for the batch page and the API."""
    rows = batch.issues.values("rule", "column", "severity").annotate(n=Count("id"))
    by_rule: Counter = Counter()
    by_column: Counter = Counter()
    for row in rows:
        by_rule[row["rule"]] += row["n"]
        by_column[row["column"] or ""] += row["n"]
    errors = batch.issues.aggregate(e=Count("id", filter=Q(severity=ERROR)), w=Count("id", filter=Q(severity=WARNING)))
    return {"errors": errors["e"], "warnings": errors["w"], "by_rule": dict(by_rule), "by_column": dict(by_column)}


# ---------------------------------------------------------------------------------------------------------------
# Processing: inline or in the background, and merging for automation


def submit_upload(
    uploaded_file, *, original_name: str, region_code: str, subcategory: str | None = None, user=None
) -> list[Batch]:
    """Create the batches of an upload and verify them: inline for small files, in a background task otherwise.

    The web upload and the API call this; the batches come back verified or in status "uploaded" with a task id.
    """
    from django.conf import settings

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
    from .tasks import verify_batch_task

    batch.__dict__.pop("_opened", None)  # the worker reads the stored file itself

    def enqueue() -> None:
        result = verify_batch_task.enqueue(batch.pk)
        Batch.objects.filter(pk=batch.pk).update(task_id=str(result.id))
        batch.task_id = str(result.id)

    transaction.on_commit(enqueue)
    return batch


def may_merge(user, batch: Batch) -> bool:
    """Automation without a user may merge; a person needs the review right over the batch's township."""
    return user is None or can(user, Action.REVIEW, batch.region_id)


def process_batch(batch: Batch, *, acting_user=None, merge: bool = False) -> Batch:
    """Verify a batch inline; with `merge`, then merge its valid rows when `acting_user` may (the CLI's path)."""
    verify_batch(batch)
    if merge and batch.status in (BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW) and may_merge(acting_user, batch):
        merge_valid_rows(batch, acting_user=acting_user)
    return batch


def merge_valid_rows(batch: Batch, *, acting_user=None) -> Batch:
    """Merge the batch's valid rows into the base database through basedb.merge (a no-op until it exists)."""
    try:
        from basedb.merge import merge_batch
    except ImportError:
        return batch
    result = merge_batch(batch, acting_user=acting_user)
    batch.refresh_from_db()
    changed = {name: getattr(result, name) for name in ("created", "updated", "unchanged", "conflicts")}
    if any(getattr(batch, name) != value for name, value in changed.items()):
        Batch.objects.filter(pk=batch.pk).update(**changed)
        batch.refresh_from_db()
    return batch


# Batches whose verification finished, so an annotated report can be built.
REPORTABLE_STATUSES = frozenset(
    {
        BatchStatus.NEEDS_FIX,
        BatchStatus.PENDING_REVIEW,
        BatchStatus.MERGING,
        BatchStatus.MERGED,
        BatchStatus.RETURNED,
    }
)


# ---------------------------------------------------------------------------------------------------------------
# Fixing a cell in place


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
    texts = {key: _as_text(v) for key, v in staged_row.values.items()}
    texts[item] = None if value is None or str(value) == "" else str(value)
    raw = pd.DataFrame({**{k: [t] for k, t in texts.items()}, "_row": [staged_row.row]}, dtype=object)
    headers, indexes = _headers(batch, spec)
    # Duplicates are decided below against the whole batch, so the row is verified with no other key known.
    chunk = verify_chunk(raw, spec, headers, keys=InFileKeys(), today=timezone.localdate(), column_indexes=indexes)
    old_key = staged_row.key
    with transaction.atomic():
        _apply_fix(staged_row, item, texts[item], chunk, acting_user)
        _refresh_duplicates(batch, spec, {old_key, staged_row.key}, headers, indexes)
        _recount(batch)
    staged_row.refresh_from_db()
    return staged_row


def _fixable_spec(batch: Batch, item: str, user):
    from catalog.specs_build import build_table_spec

    if batch.status not in EDITABLE_STATUSES:
        raise FixRefused(f"批次当前状态为“{batch.get_status_display()}”，不能再修改数据。")
    if user is not None and not can(user, Action.UPLOAD, batch.region_id):
        raise FixRefused("您没有修改该批次数据的权限。")
    spec = build_table_spec(batch.subcategory_code)
    if item not in {i.key for i in spec.items}:
        raise FixRefused(f"数据项 {item} 不属于数据子类 {spec.code}。")
    return spec


def _headers(batch: Batch, spec) -> tuple[dict[str, str], dict[str, int]]:
    headers = {i.key: i.name for i in spec.items}
    headers.update({key: c["header"] for key, c in batch.column_map.items()})
    return headers, {key: c["index"] for key, c in batch.column_map.items()}


def _refresh_duplicates(batch: Batch, spec, keys: set, headers: dict, indexes: dict) -> None:
    """Re-decide in-file duplicates for these keys: the first row holding a key is clean, every later one carries
    one duplicate_in_file error naming the first (the same rule as verification of the whole file)."""
    from .pipeline import messages

    if not spec.key_items:
        return
    item = spec.key_items[0]
    key_names = "、".join(spec.item(k).name for k in spec.key_items)
    for key in {k for k in keys if k}:
        holders = list(batch.staged_rows.filter(key=key).order_by("row"))
        BatchIssue.objects.filter(staged_row__in=holders, rule=DUPLICATE_IN_FILE).delete()
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
        for holder in holders:
            _restate(holder)


def _restate(staged_row: StagedRow) -> None:
    """A row's error/warning counts and validity from its stored issues."""
    counts = staged_row.issues.aggregate(
        e=Count("id", filter=Q(severity=ERROR)), w=Count("id", filter=Q(severity=WARNING))
    )
    staged_row.errors, staged_row.warnings, staged_row.is_valid = counts["e"], counts["w"], counts["e"] == 0
    staged_row.save(update_fields=["errors", "warnings", "is_valid"])


def _apply_fix(staged_row: StagedRow, item: str, entered: str | None, chunk: VerifiedChunk, user) -> None:
    old = staged_row.values.get(item)
    _row, values, key, valid = chunk_records(chunk.frame)[0]
    staged_row.values, staged_row.key, staged_row.is_valid = values, key, valid
    staged_row.errors = sum(1 for i in chunk.issues if i.severity == ERROR)
    staged_row.warnings = sum(1 for i in chunk.issues if i.severity == WARNING)
    staged_row.save(update_fields=["values", "key", "is_valid", "errors", "warnings"])
    staged_row.issues.all().delete()
    BatchIssue.objects.bulk_create(_issue_row(staged_row.batch, i, staged_row.pk) for i in chunk.issues)
    StagedRowEdit.objects.create(
        batch=staged_row.batch,
        staged_row=staged_row,
        item=item,
        old_value=old,
        new_value=values.get(item),
        entered=entered or "",
        edited_by=user,
    )


def _recount(batch: Batch) -> None:
    """Recompute a batch's row counts from its staged rows and move it between "needs_fix" and "pending_review"."""
    counts = batch.staged_rows.aggregate(rows=Count("id"), valid=Count("id", filter=Q(is_valid=True)))
    batch.rows, batch.valid = counts["rows"], counts["valid"]
    batch.invalid = batch.rows - batch.valid
    batch.duplicates_in_file = (
        batch.issues.filter(rule=DUPLICATE_IN_FILE, severity=ERROR).values("row").distinct().count()
    )
    if batch.status in (BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW):
        batch.status = BatchStatus.NEEDS_FIX if batch.invalid else BatchStatus.PENDING_REVIEW
    batch.save(update_fields=["rows", "valid", "invalid", "duplicates_in_file", "status", "updated_at"])


def resume_stalled_batches(*, older_than_minutes: int = 30) -> list[Batch]:
    """Queue again the batches whose verification never finished (a worker died, the machine restarted).

    A batch still "uploaded" or "verifying" whose last change is older than `older_than_minutes` is re-run from its
    stored file; verify_batch is idempotent, so a batch that was half stored ends exactly as a clean run.
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stalled = list(
        Batch.objects.filter(status__in=[BatchStatus.UPLOADED, BatchStatus.VERIFYING], updated_at__lt=cutoff)
    )
    for batch in stalled:
        enqueue_verification(batch)
    return stalled
