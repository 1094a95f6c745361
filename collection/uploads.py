"""Local copies and storage of uploaded files: an upload is hashed while it is spooled, and stored once per sha256."""

import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path, PurePath

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from .models import Batch


@contextmanager
def local_copy(source, original_name: str, digest: bool = True) -> Iterator[tuple[Path, str | None, int]]:
    """A local path of the upload (a path, or an uploaded file spooled to a temporary file), its sha256 (None for
    a local path when `digest` is false: a dry run stores nothing to name) and size."""
    if isinstance(source, str | PurePath):
        path = Path(source)
        yield path, _sha256_of(path) if digest else None, path.stat().st_size
        return
    # The suffix is kept: the guard accepts only the extensions it knows (the format itself comes from the content).
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


def store_file(path: Path, sha256: str, original_name: str) -> str:
    """Store the upload once: a file already stored under the same sha256 is reused. Returns the storage name."""
    for name in (
        Batch.objects.unrestricted("storage: reuse a stored file with the same content")
        .filter(sha256=sha256)
        .values_list("file", flat=True)
        .distinct()[:5]
    ):
        if name and default_storage.exists(name):  # a purged file of an old batch is stored again, not trusted
            return name
    stamp = timezone.localtime()
    suffix = PurePath(original_name).suffix.lower()[:10]
    # Named by content, never by the uploader's file name (no path tricks, no personal names in storage).
    name = f"uploads/{stamp:%Y/%m}/{sha256[:16]}{suffix}"
    return _save_whole(name, path)


PARTIAL_SUFFIX = ".partial"


def _save_whole(name: str, path: Path) -> str:
    """Store `path` under `name` whole or not at all: the file system storage writes in place, so a request killed
    mid-write would leave a partial file under the final name. Written next to it under a temporary dot-name, then
    renamed (atomic within one file system); what a killed process left is purged (purge_partial_uploads)."""
    try:
        name = default_storage.get_available_name(name)
        target = Path(default_storage.path(name))
    except NotImplementedError:  # remote storages (S3 and the like) publish an object only once it is complete
        with path.open("rb") as fh:
            return default_storage.save(name, File(fh))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}")
    try:
        _copy(path, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return name


def _copy(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def purge_partial_uploads(older_than: timedelta = timedelta(hours=1)) -> list[Path]:
    """Delete the temporary files of stores that never finished (their process was killed); returns them."""
    try:
        root = Path(default_storage.path("uploads"))
    except NotImplementedError:
        return []
    cutoff, purged = time.time() - older_than.total_seconds(), []
    for partial in root.rglob(f".*{PARTIAL_SUFFIX}") if root.is_dir() else []:
        with suppress(FileNotFoundError):
            if partial.stat().st_mtime < cutoff:
                partial.unlink()
                purged.append(partial)
    return purged


@contextmanager
def stored_copy(batch: Batch) -> Iterator[Path]:
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
