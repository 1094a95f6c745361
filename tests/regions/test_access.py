"""Each role's permissions, through the single access decision (`can`, `restrict`, `scope_for`)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from regions.access import RegionScopedQuerySet, restrict, scope_for
from regions.access import can as may
from regions.choices import Action, RegionLevel, Role
from regions.models import Region, RegionRole
from regions.samples import generate_sample_villages
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_B, make_user

ZHIFU_TOWNSHIPS = 12


def townships_for(user, action):
    return restrict(Region.objects.townships(), user, action, field="code")


# collector: uploads and fixes the data of its own township only


def test_a_collector_may_upload_in_its_own_township(collector_a):
    assert may(collector_a, Action.UPLOAD, TOWNSHIP_A)


def test_a_collector_may_not_upload_in_a_neighbouring_township(collector_a):
    assert not may(collector_a, Action.UPLOAD, TOWNSHIP_B)


def test_a_collector_may_upload_in_the_villages_and_grids_of_its_township(collector_a):
    generate_sample_villages([TOWNSHIP_A, TOWNSHIP_B], villages=1, grids=1)
    assert may(collector_a, Action.UPLOAD, f"{TOWNSHIP_A}901001")
    assert not may(collector_a, Action.UPLOAD, f"{TOWNSHIP_B}901001")


def test_a_collector_may_not_review(collector_a):
    assert not may(collector_a, Action.REVIEW, TOWNSHIP_A)


def test_a_collector_may_not_act_on_its_county_as_a_whole(collector_a):
    assert not may(collector_a, Action.VIEW, COUNTY_A)


def test_a_collector_sees_only_its_own_township(collector_a):
    assert list(townships_for(collector_a, Action.VIEW).values_list("code", flat=True)) == [TOWNSHIP_A]


def test_a_collector_may_not_manage_the_catalog_or_the_platform(collector_a):
    assert not may(collector_a, Action.MANAGE_CATALOG, TOWNSHIP_A)
    assert not may(collector_a, Action.ADMINISTER, TOWNSHIP_A)


# data officer: reviews its county (or the whole city)


def test_a_county_officer_reviews_every_township_of_its_county(officer_a):
    reviewable = townships_for(officer_a, Action.REVIEW)
    assert reviewable.count() == ZHIFU_TOWNSHIPS
    assert all(code.startswith(COUNTY_A) for code in reviewable.values_list("code", flat=True))


def test_a_county_officer_sees_all_its_townships(officer_a):
    assert townships_for(officer_a, Action.VIEW).count() == ZHIFU_TOWNSHIPS


def test_a_county_officer_may_not_review_another_county(officer_a):
    assert not may(officer_a, Action.REVIEW, f"{OTHER_COUNTY}001")


def test_a_county_officer_may_not_upload(officer_a):
    assert not may(officer_a, Action.UPLOAD, TOWNSHIP_A)


def test_a_city_officer_sees_and_reviews_all_159_townships(city_officer):
    assert townships_for(city_officer, Action.VIEW).count() == 159
    assert townships_for(city_officer, Action.REVIEW).count() == 159


# catalog administrator: the catalog, nothing region-owned


def test_a_catalog_admin_may_manage_the_catalog(catalog_admin):
    assert may(catalog_admin, Action.MANAGE_CATALOG, "3706")


def test_a_catalog_admin_sees_no_region_owned_data(catalog_admin):
    assert not townships_for(catalog_admin, Action.VIEW).exists()
    assert not may(catalog_admin, Action.UPLOAD, TOWNSHIP_A)
    assert not may(catalog_admin, Action.REVIEW, TOWNSHIP_A)


# platform administrator: everything


@pytest.mark.parametrize("action", Action.values)
def test_a_platform_admin_may_do_everything_everywhere(platform_admin, action):
    assert townships_for(platform_admin, action).count() == 159
    assert may(platform_admin, action, f"{OTHER_COUNTY}001")


@pytest.mark.parametrize("action", Action.values)
def test_a_superuser_without_roles_may_do_everything(regions, action):
    root = make_user("root", is_superuser=True, is_staff=True)
    assert scope_for(root, action).everything


# nobody else


@pytest.mark.parametrize("action", Action.values)
def test_an_anonymous_visitor_may_do_nothing(regions, action):
    assert not may(AnonymousUser(), action, TOWNSHIP_A)
    assert not townships_for(AnonymousUser(), action).exists()


def test_a_deactivated_collector_may_do_nothing(collector_a):
    collector_a.is_active = False
    assert not may(collector_a, Action.UPLOAD, TOWNSHIP_A)


def test_a_user_without_roles_sees_nothing(regions):
    assert not townships_for(make_user("nobody"), Action.VIEW).exists()


def test_nothing_is_in_scope_for_an_unknown_or_empty_region_code(collector_a):
    assert not may(collector_a, Action.VIEW, None)
    assert not may(collector_a, Action.VIEW, "")


# how the decision is made


def test_roles_in_several_townships_add_up(collector_a):
    RegionRole.objects.create(user=collector_a, region_id=TOWNSHIP_B, role=Role.COLLECTOR)
    assert set(townships_for(collector_a, Action.UPLOAD).values_list("code", flat=True)) == {TOWNSHIP_A, TOWNSHIP_B}


def test_a_county_role_makes_township_roles_of_that_county_redundant(officer_a):
    RegionRole.objects.create(user=officer_a, region_id=TOWNSHIP_A, role=Role.OFFICER)
    assert scope_for(officer_a, Action.REVIEW).prefixes == (COUNTY_A,)


def test_the_scope_is_computed_once_per_user_object(collector_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        for code in (TOWNSHIP_A, TOWNSHIP_B, COUNTY_A):
            may(collector_a, Action.UPLOAD, code)


def test_restrict_uses_the_models_region_field(officer_a, collector_a, collector_b, other_county_officer):
    visible = restrict(RegionRole.objects.all(), officer_a, Action.VIEW)
    assert {r.region_id for r in visible} == {COUNTY_A, TOWNSHIP_A, TOWNSHIP_B}


def test_a_region_scoped_queryset_restricts_through_the_same_decision(collector_a):
    class Scoped(RegionScopedQuerySet):
        pass

    queryset = Scoped(model=RegionRole)
    assert list(queryset.restrict(collector_a, Action.VIEW)) == list(RegionRole.objects.filter(region_id=TOWNSHIP_A))


def test_restrict_adds_one_range_per_prefix_and_no_join(officer_a):
    where = str(restrict(Region.objects.all(), officer_a, Action.VIEW, field="code").query).split("WHERE")[1]
    assert where.count('"code" >= ') == 1
    assert "JOIN" not in where


def test_a_county_officer_sees_the_sample_villages_and_grids_of_its_townships(officer_a):
    generate_sample_villages([TOWNSHIP_A], villages=2, grids=2)
    visible = restrict(Region.objects.filter(is_sample=True), officer_a, Action.VIEW, field="code")
    assert visible.filter(level=RegionLevel.VILLAGE).count() == 2
    assert visible.filter(level=RegionLevel.GRID).count() == 4
