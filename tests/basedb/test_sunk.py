"""Townships see the data departments sank to them (数据下沉), read-only: by class with its source department and
freshness, on their home page and the base-database pages; the board counts the sunk classes per township."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from basedb.models import RecordVersion
from tests.collection.batch_fixtures import media  # noqa: F401 (fixture)
from tests.collection.intake_fixtures import write_xlsx
from tests.collection.test_routing import HEADER, HELD_A, HELD_B, held, person_row  # noqa: F401 (fixture)
from tests.conftest import COUNTY_A, TOWNSHIP_A, TOWNSHIP_B, login

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media", "held")


@pytest.fixture
def sunk(tmp_path):
    """市医保局's county-wide P0307 roster, merged: 张一 sunk to township A, 王二 to township B."""
    path = write_xlsx(tmp_path / "医保.xlsx", [HEADER, person_row(HELD_A, "1"), person_row(HELD_B, "2")])
    out = io.StringIO()
    call_command("import_workbook", str(path), "--region", COUNTY_A, "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 2


def test_a_township_home_page_lists_its_sunk_classes_with_department_and_date(client, sunk, collector_a):
    page = login(client, collector_a).get("/").content.decode()
    section = page[page.index('id="sunk"') :]
    assert "P0307 医疗保险参保人员" in section and "市医保局" in section
    assert timezone.localdate().isoformat() in section and "逾期未更新" not in section


def test_the_sunk_page_shows_a_township_only_its_own_records(client, sunk, collector_a):
    login(client, collector_a)
    page = client.get(reverse("basedb:sunk_list")).content.decode()
    row = page[page.index('data-code="P0307"') :]
    assert ">1<" in row[: row.index("</tr>")]  # 张一 only: 王二 went to township B
    assert client.get(reverse("basedb:sunk_list"), {"region": TOWNSHIP_B}).status_code == 404


def test_a_class_not_refreshed_within_its_update_cycle_is_overdue(client, sunk, collector_a):
    RecordVersion.objects.filter(subcategory__code="P0307").update(created_at=timezone.now() - timedelta(days=120))
    page = login(client, collector_a).get(reverse("basedb:sunk_list")).content.decode()
    assert "逾期未更新" in page and "（120 天前）" in page


def test_the_board_counts_sunk_classes_per_township(client, sunk, officer_a):
    page = login(client, officer_a).get(reverse("basedb:board")).content.decode()
    for township in (TOWNSHIP_A, TOWNSHIP_B):
        row = page[page.index(f'<tr data-code="{township}">') :]
        row = row[: row.index("</tr>")]
        assert f'?region={township}">1</a>' in row and timezone.localdate().isoformat() in row
    other = page[page.index('<tr data-code="370602003">') :]
    assert '<td class="num sunk">0</td>' in other[: other.index("</tr>")]


def test_a_township_without_sunk_data_says_so(client, collector_a):
    page = login(client, collector_a).get("/").content.decode()
    assert "还没有部门下沉到本乡镇（街道）的数据" in page
