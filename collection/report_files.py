"""Stored report files of a batch: the annotated workbook and the invalid rows kept in the storage until the batch
changes, a large batch's build queued for the worker, and the download names the township recognises.

The workbooks themselves are written by collection.report.
"""

from contextlib import suppress
from pathlib import Path

from .report import batch_report, original_path


class ReportPending(Exception):
    """A large batch's report is not built yet: it was queued for the worker (a download in a request would hold a
    web worker for a minute per 300,000 rows)."""


def _cache_name(batch, invalid_only: bool) -> tuple[str, str]:
    """(folder, name) of the batch's cached report in the storage: it names the batch's state (last change, issues),
    so a fix or a re-verification makes a new name and the old file is stale."""
    from django.db.models import Count, Max

    found = batch.issues.aggregate(n=Count("id"), last=Max("id"))
    kind = "invalid" if invalid_only else "annotated"
    folder = f"reports/batch-{batch.pk}"
    return folder, f"{folder}/{kind}-{batch.updated_at:%Y%m%d%H%M%S%f}-{found['n']}-{found['last']}.xlsx"


def cached_batch_report(batch, *, invalid_only: bool = False) -> bytes:
    """`batch_report`, kept in the storage until the batch or its issues change (a fix, a re-verification), so
    downloading a large batch's report again is instant."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    folder, name = _cache_name(batch, invalid_only)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as fh:
            return fh.read()
    data = batch_report(batch, invalid_only=invalid_only)
    kind = name.rsplit("/", 1)[1].split("-", 1)[0]
    with suppress(FileNotFoundError, NotImplementedError):
        for stale in default_storage.listdir(folder)[1]:
            if stale.startswith(f"{kind}-"):
                default_storage.delete(f"{folder}/{stale}")
    default_storage.save(name, ContentFile(data))
    return data


QUEUED_MARK_SECONDS = 600  # a queued build not done within this is queued again (its worker may have died)


def report_download(batch, *, invalid_only: bool = False):
    """What the web page and the API send: the cached workbook opened from the storage (streamed, never held in
    memory). A small batch's report is built now; a large one's (as at verification, collection.intake) is queued
    for the worker and ReportPending raised. FileNotFoundError when the batch's stored file is gone."""
    from django.core.files.storage import default_storage

    _folder, name = _cache_name(batch, invalid_only)
    if default_storage.exists(name):
        return default_storage.open(name, "rb")
    original_path(batch)
    if _is_large(batch):
        _queue_build(batch, name, invalid_only)
        raise ReportPending(name)
    cached_batch_report(batch, invalid_only=invalid_only)
    return default_storage.open(name, "rb")


def _is_large(batch) -> bool:
    from django.conf import settings

    return (batch.size_bytes or 0) > settings.UPLOAD_INLINE_MAX_BYTES


def _queue_build(batch, name: str, invalid_only: bool) -> None:
    """Queue the build once: a mark next to the report's name keeps repeated downloads from queueing it again."""
    import time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import transaction

    from .tasks import build_report_task

    mark = f"{name}.queued"
    with suppress(FileNotFoundError, OSError):
        if time.time() - default_storage.get_modified_time(mark).timestamp() < QUEUED_MARK_SECONDS:
            return
        default_storage.delete(mark)
    default_storage.save(mark, ContentFile(b""))
    transaction.on_commit(lambda: build_report_task.enqueue(batch.pk, invalid_only))


def report_filename(batch, *, invalid_only: bool = False) -> str:
    """A download name the township recognises: its own file name with a suffix."""
    stem = Path(batch.original_name or "batch").stem
    several = (
        batch.sheet_name
        and type(batch).objects.unrestricted("the sheets of the batch's own upload").filter(group=batch.group).count()
        > 1
    )
    sheet = f"_{batch.sheet_name}" if several else ""  # one report per sheet of a multi-sheet workbook
    return f"{stem}{sheet}_{'有误的行' if invalid_only else '批注版'}.xlsx"
