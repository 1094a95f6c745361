"""A village (村/社区) collector uploads for its village: the batch belongs to the township and is owned by the
village, rows placed outside the village are errors in Chinese, the collector sees and fixes its own batch and
nobody else's, and the township's users see it too."""

import pytest

from collection import fixes, intake
from collection.choices import BatchStatus
from collection.forms import UploadForm
from collection.models import Batch
from regions.choices import Action, Role
from tests.collection.batch_fixtures import P0101_HEADERS, P0101_ROWS, media, write_xlsx  # noqa: F401 (fixtures)
from tests.conftest import GRID_A, TOWNSHIP_A, VILLAGE_A, VILLAGE_B, make_user

pytestmark = pytest.mark.usefixtures("catalog", "sample_villages", "media")
HEADERS = [*P0101_HEADERS, "所属网格"]


@pytest.fixture
def village_collector(sample_villages):
    return make_user("village_collector", Role.COLLECTOR, VILLAGE_A)


def upload(tmp_path, grids, user, region=VILLAGE_A):
    rows = [[*P0101_ROWS[n][:7], "东山路189号", grid] for n, grid in enumerate(grids)]
    path = write_xlsx(tmp_path / "village.xlsx", rows, HEADERS)
    (batch,) = intake.create_batches(path, original_name=path.name, region_code=region, user=user)
    return intake.verify_batch(batch)


def test_a_village_upload_belongs_to_the_township_and_is_owned_by_the_village(tmp_path, village_collector):
    batch = upload(tmp_path, ["示例社区01第1网格", ""], village_collector)
    assert (batch.region_id, batch.owner_id, batch.status) == (TOWNSHIP_A, VILLAGE_A, BatchStatus.PENDING_REVIEW)
    assert list(batch.staged_rows.order_by("row").values_list("place", flat=True)) == [GRID_A, VILLAGE_A]


def test_a_row_of_another_village_is_an_error_in_chinese(tmp_path, village_collector):
    batch = upload(tmp_path, ["示例社区01第1网格", "示例社区02第2网格"], village_collector)
    (issue,) = batch.issues.all()
    assert (issue.row, issue.rule, issue.severity) == (3, "grid_outside", "error")
    assert "本村（社区）只能上报本村（社区）的数据" in issue.message and "东山街道示例社区01" in issue.message
    assert (batch.valid, batch.status) == (1, BatchStatus.NEEDS_FIX)


def test_fixing_the_grid_brings_the_row_into_the_village(tmp_path, village_collector):
    batch = upload(tmp_path, ["示例社区02第2网格"], village_collector)
    row = batch.staged_rows.get()
    fixes.fix_cell(row, "grid", "示例社区01第1网格", acting_user=village_collector)
    row.refresh_from_db()
    assert (row.place, row.is_valid) == (GRID_A, True)


def test_the_village_collector_sees_its_own_batch_and_the_township_sees_it_too(tmp_path, village_collector):
    batch = upload(tmp_path, [""], village_collector)
    upload(tmp_path, [""], None, region=TOWNSHIP_A)  # the township's own batch
    assert list(Batch.objects.restrict(village_collector, Action.UPLOAD)) == [batch]
    township = make_user("township", Role.COLLECTOR, TOWNSHIP_A)
    assert Batch.objects.restrict(township, Action.UPLOAD).count() == 2
    other_village = make_user("other_village", Role.COLLECTOR, TOWNSHIP_A + "902")
    assert not Batch.objects.restrict(other_village, Action.VIEW).exists()


def test_a_village_collector_may_not_upload_for_its_township_or_another_village(tmp_path, village_collector):
    with pytest.raises(intake.IntakeRefused, match="没有在东山街道"):
        upload(tmp_path, [""], village_collector, region=TOWNSHIP_A)
    with pytest.raises(intake.IntakeRefused, match="没有在"):
        upload(tmp_path, [""], village_collector, region=VILLAGE_B)


def test_the_upload_form_offers_the_village_to_its_collector(village_collector):
    assert [code for code, _label in UploadForm(user=village_collector).fields["region"].choices] == [VILLAGE_A]
