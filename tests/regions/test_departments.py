"""Department users (部门用户, 部门审核员): their region and subcategories, through the single access decision."""

import pytest

from catalog.models import Subcategory
from collection.models import Batch
from regions.access import can, department_regions, restrict, scope_for
from regions.choices import Action, DepartmentRole, Role
from regions.departments import add_member, departments_of, save_department, subcategories_of
from regions.models import Department, Region
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A, make_user


@pytest.fixture
def medical(regions, catalog):
    return save_department("市医保局", region_code="3706", acting_user=None)


@pytest.fixture
def uploader(medical):
    user = make_user("yibao_uploader")
    add_member(medical, user, DepartmentRole.UPLOADER, acting_user=None)
    return user


@pytest.fixture
def reviewer(medical):
    user = make_user("yibao_reviewer")
    add_member(medical, user, DepartmentRole.REVIEWER, acting_user=None)
    return user


def batch_of(region: str, code: str) -> Batch:
    return Batch.objects.create(
        file="uploads/t.xlsx", original_name="t.xlsx", sha256="0" * 64, region_id=region,
        subcategory=Subcategory.objects.get(code=code),
    )  # fmt: skip


def test_a_department_acts_for_the_subcategories_whose_source_department_it_is(medical):
    codes = set(Subcategory.objects.filter(department="市医保局").values_list("code", flat=True))
    assert "P0307" in codes
    assert subcategories_of(medical) == codes


def test_extra_grants_add_subcategories_to_the_catalog_ones(medical):
    medical.extra_subcategories = ["P0301"]
    medical.save()
    assert {"P0307", "P0301"} <= subcategories_of(medical)


def test_a_county_department_acts_for_the_catalog_department_it_names(regions, catalog):
    county = save_department("芝罘区医保局", region_code=COUNTY_A, source_department="市医保局", acting_user=None)
    user = make_user("zhifu_yibao")
    add_member(county, user, DepartmentRole.UPLOADER, acting_user=None)
    assert can(user, Action.UPLOAD, COUNTY_A, "P0307")
    assert not can(user, Action.UPLOAD, "3706", "P0307")
    assert not can(user, Action.UPLOAD, OTHER_COUNTY, "P0307")


def test_the_uploader_may_upload_its_subcategories_in_its_region_only(uploader):
    assert can(uploader, Action.UPLOAD, "3706", "P0307")
    assert can(uploader, Action.UPLOAD, TOWNSHIP_A, "P0307")
    assert not can(uploader, Action.UPLOAD, "3706", "P0101")
    assert not can(uploader, Action.UPLOAD, "3706")  # an object of no subcategory is never a department's


def test_the_uploader_may_not_review_and_the_reviewer_may_not_upload(uploader, reviewer):
    assert not can(uploader, Action.REVIEW, "3706", "P0307")
    assert can(reviewer, Action.REVIEW, "3706", "P0307")
    assert not can(reviewer, Action.UPLOAD, "3706", "P0307")


def test_both_department_roles_view_their_subcategories_only(uploader, reviewer):
    for user in (uploader, reviewer):
        assert can(user, Action.VIEW, TOWNSHIP_A, "P0307")
        assert not can(user, Action.VIEW, TOWNSHIP_A, "P0101")


def test_restrict_keeps_only_the_departments_subcategories(uploader, collector_a):
    mine, other = batch_of("3706", "P0307"), batch_of("3706", "P0101")
    township = batch_of(TOWNSHIP_A, "P0307")
    assert set(Batch.objects.restrict(uploader, Action.VIEW)) == {mine, township}
    assert set(Batch.objects.restrict(collector_a, Action.VIEW)) == {township}
    assert other not in Batch.objects.restrict(uploader, Action.UPLOAD)


def test_a_model_without_subcategories_gives_a_department_user_nothing(uploader):
    assert not restrict(Region.objects.all(), uploader, Action.VIEW, field="code").exists()


def test_an_inactive_department_grants_nothing(uploader, medical):
    medical.is_active = False
    medical.save()
    uploader.__dict__.pop("_region_scope_cache", None)
    assert scope_for(uploader, Action.UPLOAD).empty
    assert not departments_of(uploader).exists()


def test_department_regions_are_where_a_department_user_may_upload_a_whole_file(uploader):
    assert department_regions(uploader, Action.UPLOAD) == ("3706",)
    assert department_regions(uploader, Action.UPLOAD, "P0307") == ("3706",)
    assert department_regions(uploader, Action.UPLOAD, "P0101") == ()


def test_a_region_role_is_unaffected_by_a_department_role_of_the_same_user(medical):
    user = make_user("both", Role.COLLECTOR, TOWNSHIP_A)
    add_member(medical, user, DepartmentRole.UPLOADER, acting_user=None)
    assert can(user, Action.UPLOAD, TOWNSHIP_A, "P0101")
    assert can(user, Action.UPLOAD, "3706", "P0307")
    assert not can(user, Action.UPLOAD, "370602001", "P0101")


def test_a_department_is_bound_to_the_city_or_a_county(regions):
    with pytest.raises(ValueError):
        save_department("某街道办", region_code=TOWNSHIP_A, acting_user=None)
    assert not Department.objects.exists()


def test_the_admin_manages_departments_and_their_members(client, platform_admin, uploader, medical):
    platform_admin.is_superuser = True
    platform_admin.save()
    client.force_login(platform_admin)
    for url in ["/admin/regions/department/", "/admin/regions/departmentmembership/"]:
        assert client.get(url).status_code == 200, url
    page = client.get(f"/admin/regions/department/{medical.pk}/change/").content.decode()
    assert "P0307" in page
    assert client.get(f"/admin/auth/user/{uploader.pk}/change/").status_code == 200


def test_the_header_names_the_department_role(client, uploader):
    client.force_login(uploader)
    page = client.get("/").content.decode()
    assert "市医保局 · 部门用户" in page
