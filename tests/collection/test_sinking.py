"""Department rosters on the web (数据下沉): a department user uploads one county- or city-wide file, its reviewer
approves it from the review queue (nobody else's department sees it), or it merges directly when the subcategory's
policy says its 数源部门 needn't be reviewed."""

import pytest
from django.urls import reverse

from basedb.models import Record
from catalog.models import Subcategory
from collection.models import Batch, RosterPolicy
from regions.choices import DepartmentRole
from regions.departments import add_member, save_department
from tests.collection.batch_fixtures import media  # noqa: F401 (fixture)
from tests.collection.intake_fixtures import write_xlsx
from tests.collection.test_routing import HEADER, HELD_A, HELD_B, held, person_row  # noqa: F401 (fixture)
from tests.conftest import COUNTY_A, TOWNSHIP_A, TOWNSHIP_B, login, make_user

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media", "held")


def member(department: str, role: str, *, extra=()):
    dept = save_department(department, region_code="3706", acting_user=None, extra_subcategories=extra)
    user = make_user(f"{department}_{role}")
    add_member(dept, user, role, acting_user=None)
    return user


@pytest.fixture
def uploader(db):
    return member("市医保局", DepartmentRole.UPLOADER)


@pytest.fixture
def reviewer(db):
    return member("市医保局", DepartmentRole.REVIEWER)


def post_roster(client, tmp_path, region: str = "3706"):
    path = write_xlsx(tmp_path / "医保参保名单.xlsx", [HEADER, person_row(HELD_A, "1"), person_row(HELD_B, "2")])
    with path.open("rb") as fh:
        return client.post(reverse("collection:batch_upload"), {"file": fh, "region": region})


def test_the_upload_page_offers_the_department_its_city_and_counties(client, uploader):
    page = login(client, uploader).get(reverse("collection:batch_upload")).content.decode()
    assert "烟台市（3706）· 全市名单，按乡镇（街道）分发" in page
    assert "芝罘区（370602）· 全县（市、区）名单" in page and "上报区划" in page
    assert "东山街道（370602002）" not in page  # no township of its own


def test_a_department_roster_waits_for_the_departments_reviewer(client, tmp_path, uploader, reviewer):
    response = post_roster(login(client, uploader), tmp_path)
    batch = Batch.objects.get(region_id="3706")
    assert response.status_code == 302 and batch.status == "pending_review" and batch.valid == 2
    assert not Record.objects.filter(subcategory__code="P0307").exists()
    client.logout()
    queue = login(client, reviewer).get(reverse("collection:review_queue")).content.decode()
    assert f'href="{reverse("collection:review_detail", args=[batch.pk])}"' in queue
    confirmed = {"confirm": f"{batch.valid}-{batch.invalid}"}  # as confirmed on the 入库预览
    assert client.post(reverse("collection:review_approve", args=[batch.pk]), confirmed).status_code == 302
    records = dict(Record.objects.filter(subcategory__code="P0307").values_list("entity__key", "region_id"))
    assert records == {HELD_A[1]: TOWNSHIP_A, HELD_B[1]: TOWNSHIP_B}


def test_another_departments_reviewer_and_a_township_never_see_the_roster(client, tmp_path, uploader,
                                                                           collector_a):  # fmt: skip
    post_roster(login(client, uploader), tmp_path)
    batch = Batch.objects.get(region_id="3706")
    civil = member("市民政局", DepartmentRole.REVIEWER)
    for user in (civil, collector_a):
        client.logout()
        login(client, user)
        assert client.get(reverse("collection:review_detail", args=[batch.pk])).status_code == 404
        assert client.post(reverse("collection:review_approve", args=[batch.pk])).status_code == 404
    assert Batch.objects.get(pk=batch.pk).status == "pending_review"


def test_the_departments_uploader_may_not_approve_its_own_roster(client, tmp_path, uploader):
    post_roster(login(client, uploader), tmp_path)
    batch = Batch.objects.get(region_id="3706")
    assert client.post(reverse("collection:review_approve", args=[batch.pk])).status_code == 403


def test_a_source_department_merges_directly_when_its_subcategory_says_so(client, tmp_path, uploader):
    RosterPolicy.objects.create(subcategory=Subcategory.objects.get(code="P0307"), merge_directly=True)
    post_roster(login(client, uploader), tmp_path, region=COUNTY_A)
    batch = Batch.objects.get(region_id=COUNTY_A)
    assert batch.status == "merged" and batch.created == 2
    assert set(Record.objects.filter(subcategory__code="P0307").values_list("region_id", flat=True)) == {
        TOWNSHIP_A,
        TOWNSHIP_B,
    }


def test_a_department_granted_the_subcategory_in_addition_is_still_reviewed(client, tmp_path):
    RosterPolicy.objects.create(subcategory=Subcategory.objects.get(code="P0307"), merge_directly=True)
    granted = member("市卫健委", DepartmentRole.UPLOADER, extra=["P0307"])
    post_roster(login(client, granted), tmp_path)
    assert Batch.objects.get(region_id="3706").status == "pending_review"


def roster_over_api(user, tmp_path, rows, region=COUNTY_A):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    path = write_xlsx(tmp_path / "名单.xlsx", rows)
    with path.open("rb") as fh:
        return api.post("/api/v1/batches/", {"file": fh, "region": region}, format="multipart")


def test_a_department_uploads_its_roster_through_the_api(tmp_path, uploader):
    response = roster_over_api(uploader, tmp_path, [HEADER, person_row(HELD_A, "1"), person_row(HELD_B, "2")])
    assert response.status_code == 201, response.json()
    batch = Batch.objects.get(region_id=COUNTY_A)
    assert (batch.subcategory.code, batch.valid) == ("P0307", 2)


def test_the_api_refuses_another_departments_table_naming_the_subcategory(tmp_path, uploader):
    rows = [["姓名", "公民身份号码", "性别", "现住址", "低保类别"], [*HELD_A, "1", "芝罘区", "1"]]
    response = roster_over_api(uploader, tmp_path, rows)
    assert (response.status_code, response.json()["param"]) == (403, "subcategory")
    assert not Batch.objects.filter(region_id=COUNTY_A).exists()
