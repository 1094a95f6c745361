"""Fixtures and builders shared by the intake tests (collection and API): the real catalog, batches, data files.

Import the fixtures you need into a test module: `from tests.collection.batch_fixtures import media`. The real catalog
is loaded for the whole session (see tests/conftest.py).
"""

import json
from pathlib import Path

import pytest
from django.db import connection

from collection.choices import BatchStatus
from collection.models import Batch, BatchIssue, StagedRow
from collection.pipeline.types import ERROR

DATA = Path(__file__).resolve().parent.parent / "data"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


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


P0101_HEADERS = ["姓名", "公民身份号码", "性别", "民族", "出生日期", "联系电话", "户籍地址", "现住址"]
P0101_ROWS = [
    ["宋诚士", "222401195709185975", "男", "汉族", "1957-09-18", "13148857189", "芝罘区二马路149号", "东山路189号"],
    ["曲倩芳", "222426195708056861", "女", "汉族", "1957-08-05", "15218347213", "芝罘区二马路149号", "东山路189号"],
    ["宋纯倩", "370681199208165126", "女", "汉族", "1992-08-16", "13012345678", "芝罘区二马路149号", "东山路189号"],
]
BAD_ID = "370681199208165127"  # row 3's ID with a wrong check digit


def write_xlsx(path: Path, rows: list[list], headers: list[str] = P0101_HEADERS, sheet: str = "户籍人口") -> Path:
    """A small workbook: one header row, then `rows`, every cell written as text."""
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def p0101_with_bad_id(path: Path) -> Path:
    """Three P0101 rows; the third (Excel row 4) has an ID with a wrong check digit."""
    rows = [list(r) for r in P0101_ROWS]
    rows[2][1] = BAD_ID
    return write_xlsx(path, rows)
