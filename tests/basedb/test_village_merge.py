"""A village (村/社区) collector's upload merged through the real path (upload, verify, approve): it never writes a
record of its township placed outside the village (such rows become conflicts for the township's officer), it
updates the records placed in the village, and a new person is created and placed in the village (issue 14)."""

import pytest

from basedb.models import Conflict, Record
from collection import intake
from collection.models import BatchIssue
from regions.choices import Role
from tests.collection.batch_fixtures import P0101_HEADERS, P0101_ROWS, media, write_xlsx  # noqa: F401 (fixtures)
from tests.conftest import GRID_A, GRID_A2, TOWNSHIP_A, VILLAGE_A, make_user

pytestmark = pytest.mark.usefixtures("catalog", "sample_villages", "media")
HEADERS = [*P0101_HEADERS, "所属网格"]
ELSEWHERE, AT_HOME, NEWCOMER = (P0101_ROWS[n][1] for n in range(3))


def rows(grids: list[str], phone: str | None = None) -> list[list]:
    return [[*P0101_ROWS[n][:5], phone or P0101_ROWS[n][5], *P0101_ROWS[n][6:], grid] for n, grid in enumerate(grids)]


def upload_and_merge(tmp_path, name, table, region, user, officer):
    path = write_xlsx(tmp_path / name, table, HEADERS)
    (batch,) = intake.create_batches(path, original_name=path.name, region_code=region, user=user)
    batch = intake.verify_batch(batch)
    return batch, intake.merge_valid_rows(batch, acting_user=officer)


@pytest.fixture
def placed(tmp_path, officer_a):
    """The township's own upload: the first person placed in village 02 (GRID_A2), the second in village 01."""
    upload_and_merge(tmp_path, "township.xlsx", rows(["示例社区02第2网格", "示例社区01第1网格"]), TOWNSHIP_A, None,
                     officer_a)  # fmt: skip
    return make_user("village_collector", Role.COLLECTOR, VILLAGE_A)


def record(key: str) -> Record:
    return Record.objects.get(entity__key=key)


def village_upload(tmp_path, collector, officer_a):
    # Village 01 reports all three with a new phone number; the newcomer names no grid (it stays in the village).
    table = rows(["", "示例社区01第1网格", ""], phone="13900000001")
    return upload_and_merge(tmp_path, "village.xlsx", table, VILLAGE_A,
                            collector, officer_a)  # fmt: skip


def test_a_village_row_for_a_person_placed_in_another_village_does_not_change_that_record(tmp_path, placed, officer_a):
    before = record(ELSEWHERE)
    _verified, merged = village_upload(tmp_path, placed, officer_a)
    after = record(ELSEWHERE)
    assert (after.values["phone"], after.place_id, after.version) == (P0101_ROWS[0][5], GRID_A2, before.version)
    conflict = Conflict.objects.get(entity__key=ELSEWHERE)
    assert (conflict.incoming_values["phone"], conflict.existing_region_id, conflict.incoming_region_id) == (
        "13900000001", TOWNSHIP_A, TOWNSHIP_A)  # fmt: skip
    assert merged.conflicts == 1


def test_the_merge_warning_names_the_village_holding_the_record(tmp_path, placed, officer_a):
    batch, _merged = village_upload(tmp_path, placed, officer_a)
    (issue,) = BatchIssue.objects.filter(batch=batch, row=2, message__contains="未入库")
    assert "示例社区02" in issue.message and "本村（社区）不能修改其信息" in issue.message


def test_a_village_row_for_a_person_placed_in_its_own_village_updates_the_record(tmp_path, placed, officer_a):
    _verified, merged = village_upload(tmp_path, placed, officer_a)
    at_home = record(AT_HOME)
    assert (at_home.values["phone"], at_home.place_id, at_home.version) == ("13900000001", GRID_A, 2)
    assert (merged.updated, merged.created) == (1, 1)


def test_a_new_person_of_a_village_upload_is_created_and_placed_in_the_village(tmp_path, placed, officer_a):
    village_upload(tmp_path, placed, officer_a)
    newcomer = record(NEWCOMER)
    assert (newcomer.values["phone"], newcomer.region_id, newcomer.place_id) == ("13900000001", TOWNSHIP_A, VILLAGE_A)


def test_verification_warns_at_the_row_of_a_person_held_by_another_village(tmp_path, placed):
    path = write_xlsx(tmp_path / "v.xlsx", rows(["", "示例社区01第1网格", ""], phone="13900000001"), HEADERS)
    (batch,) = intake.create_batches(path, original_name=path.name, region_code=VILLAGE_A, user=placed)
    batch = intake.verify_batch(batch)
    (issue,) = batch.issues.all()
    assert (issue.row, issue.severity, issue.column) == (2, "warning", "公民身份号码")
    assert issue.message.startswith("此人已由东山街道示例社区02登记，本村（社区）不能修改其信息")
    assert "请联系乡镇（街道）核验员" in issue.message
    assert batch.valid == 3  # a warning: the row goes to review, where the merge makes it a conflict


def test_verification_names_the_township_when_the_person_is_held_in_no_village(tmp_path, officer_a):
    upload_and_merge(tmp_path, "township.xlsx", rows([""]), TOWNSHIP_A, None, officer_a)  # placed in the township
    assert record(ELSEWHERE).place_id == TOWNSHIP_A
    collector = make_user("village_collector", Role.COLLECTOR, VILLAGE_A)
    batch, _merged = upload_and_merge(tmp_path, "v.xlsx", rows([""], phone="13900000001"), VILLAGE_A, collector,
                                      officer_a)  # fmt: skip
    assert "东山街道（未落到村、社区）登记" in batch.issues.get(row=2, message__startswith="此人").message
    assert (record(ELSEWHERE).values["phone"], Conflict.objects.count()) == (P0101_ROWS[0][5], 1)
