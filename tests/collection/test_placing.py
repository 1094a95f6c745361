"""Intake places every row (collection/placing.py): the staged row keeps its place, a grid of another township is a
warning naming that township, a fixed cell places the row again, a dry run reports the same warnings."""

import pytest

from collection import fixes, intake
from collection.choices import BatchStatus
from tests.collection.batch_fixtures import P0101_HEADERS, P0101_ROWS, media, write_xlsx  # noqa: F401 (fixtures)
from tests.conftest import GRID_A, GRID_A2, TOWNSHIP_A, VILLAGE_A

pytestmark = pytest.mark.usefixtures("catalog", "sample_villages", "media")
HEADERS = [*P0101_HEADERS, "所属网格"]


def upload(tmp_path, grids_and_addresses, user=None):
    rows = [[*P0101_ROWS[n][:7], address, grid] for n, (grid, address) in enumerate(grids_and_addresses)]
    path = write_xlsx(tmp_path / "grid.xlsx", rows, HEADERS)
    (batch,) = intake.create_batches(path, original_name=path.name, region_code=TOWNSHIP_A, user=user)
    return intake.verify_batch(batch)


def places(batch) -> list[str]:
    return list(batch.staged_rows.order_by("row").values_list("place", flat=True))


def test_each_staged_row_is_placed_from_its_grid_or_its_address(tmp_path, collector_a):
    batch = upload(
        tmp_path, [("示例社区01第1网格", "东山路189号"), ("二网格", "东山街道示例社区02"), ("", "东山路1号")]
    )
    assert places(batch) == [GRID_A, GRID_A2, TOWNSHIP_A]
    assert batch.status == BatchStatus.PENDING_REVIEW


def test_a_grid_of_another_township_is_a_warning_naming_that_township(tmp_path):
    rows = [("向阳街道示例社区01第01网格", "示例社区01幸福路3号"), ("示例社区01第01网格", "东山路2号")]
    batch = upload(tmp_path, rows)
    (issue,) = batch.issues.all()
    assert (issue.row, issue.rule, issue.severity, issue.column) == (2, "grid_elsewhere", "warning", "所属网格")
    assert "向阳街道（370602001）" in issue.message and issue.value == "向阳街道示例社区01第01网格"
    assert batch.valid == 2 and places(batch) == [VILLAGE_A, GRID_A]
    assert batch.staged_rows.get(row=2).warnings == 1


def test_fixing_the_grid_cell_places_the_row_again(tmp_path, collector_a):
    batch = upload(tmp_path, [("第9网格", "东山路189号")])
    row = batch.staged_rows.get()
    fixes.fix_cell(row, "grid", "示例社区02第2网格", acting_user=collector_a)
    row.refresh_from_db()
    assert row.place == GRID_A2


def test_a_dry_run_reports_the_other_townships_grid(tmp_path):
    rows = [[*P0101_ROWS[0][:7], "东山路2号", "370602001901001"]]
    path = write_xlsx(tmp_path / "dry.xlsx", rows, HEADERS)
    (summary,) = intake.dry_run(path, original_name=path.name, region_code=TOWNSHIP_A)
    assert [i["rule"] for i in summary["issues"]] == ["grid_elsewhere"]


def test_a_current_address_in_another_township_is_a_warning_naming_it(client, collector_a, tmp_path):
    from django.urls import reverse

    from collection.models import Batch, BatchIssue
    from regions.models import Region
    from tests.collection.batch_fixtures import P0101_ROWS, write_xlsx

    other = Region.objects.filter(code__startswith="370602", level="township").exclude(code="370602002").first()
    rows = [list(r) for r in P0101_ROWS]
    rows[1][7] = f"烟台市芝罘区{other.name}某路1号"  # Excel row 3: where the person lives is another township
    client.force_login(collector_a)
    with open(write_xlsx(tmp_path / "a.xlsx", rows), "rb") as fh:
        client.post(reverse("collection:batch_upload"), {"file": fh, "region": "370602002"})
    batch = Batch.objects.get()
    (issue,) = BatchIssue.objects.filter(batch=batch, rule="address_elsewhere")
    assert issue.row == 3 and issue.severity == "warning" and other.name in issue.message
    assert batch.invalid == 0
