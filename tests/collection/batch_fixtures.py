"""Fixtures and builders shared by the intake tests (collection and API): the real catalog, batches, data files.

Import the fixtures you need into a test module: `from tests.collection.batch_fixtures import catalog_loaded`.
"""

import json
from pathlib import Path

import pytest
from django.db import connection

from catalog.loader import load_catalog
from catalog.specs_build import clear_spec_cache
from collection.choices import BatchStatus
from collection.models import Batch, BatchIssue, StagedRow
from collection.pipeline.types import ERROR

DATA = Path(__file__).resolve().parent.parent / "data"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def catalog_loaded(db):
    """The real catalog (fixtures/catalog/) loaded into the test database."""
    clear_spec_cache()
    load_catalog()
    yield
    clear_spec_cache()


@pytest.fixture
def media(tmp_path, settings):
    """Uploaded files go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_batch(region: str, user=None, *, status: str = BatchStatus.NEEDS_FIX, issues: int = 2, **fields) -> Batch:
    """A batch stored directly (no file is read), with one staged row and `issues` error issues on it."""
    batch = Batch.objects.create(
        file="uploads/2026/11/test.xlsx",
        original_name="测试.xlsx",
        sha256="0" * 64,
        region_id=region,
        uploaded_by=user,
        status=status,
        rows=1,
        invalid=1,
        **fields,
    )
    row = StagedRow.objects.create(batch=batch, row=2, values={"name": "张三"}, is_valid=False, errors=issues)
    BatchIssue.objects.bulk_create(
        BatchIssue(batch=batch, staged_row=row, row=2, column=f"列{n}", column_index=n, item="name",
                   rule="required" if n % 2 else "length", severity=ERROR, message="姓名为必填项", value="")
        for n in range(issues)
    )  # fmt: skip
    return batch


def stored_files(media_root: Path) -> list[Path]:
    return sorted(p for p in Path(media_root).rglob("*") if p.is_file()) if Path(media_root).exists() else []


def intake_counts() -> dict:
    """Rows of every intake table, to show that a refused upload stored nothing."""
    return {model.__name__: model.objects.count() for model in (Batch, StagedRow, BatchIssue)}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"
