"""A conflict shows the existing record's values only to a user who may view that record's region (issue 11 item 2);
anyone else sees which township holds it and who can resolve it."""

import pytest
from django.urls import reverse

from basedb.conflicts import covering_region
from basedb.merge import merge_batch
from basedb.models import Conflict
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B, login

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")
FAR_TOWNSHIP = "370611001"  # 福山区: another county than A's 芝罘区
A_VALUES = {"name": "甲方姓名", "phone": "13911112222", "address": "东山街道幸福路9号"}


@pytest.fixture
def far_conflict(officer_a, city_officer):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, **A_VALUES)]), acting_user=officer_a)
    merge_batch(staged_batch(FAR_TOWNSHIP, [person(1, name="乙方姓名", phone="13700000000")]), acting_user=city_officer)
    return Conflict.objects.get()


def test_an_officer_of_another_county_sees_none_of_the_existing_values(client, far_conflict, other_county_officer):
    page = login(client, other_county_officer).get(reverse("basedb:conflict_list")).content.decode()
    assert "13700000000" in page and "乙方姓名" in page  # their own township's upload
    assert all(value not in page for value in A_VALUES.values())
    assert far_conflict.entity.public_id not in page


def test_they_are_told_which_township_holds_it_and_who_can_resolve_it(client, far_conflict, other_county_officer,
                                                                       city_officer):  # fmt: skip
    page = login(client, other_county_officer).get(reverse("basedb:conflict_list")).content.decode()
    assert "已由东山街道登记" in page
    assert "可由烟台市的数据核验员" in page and city_officer.username in page


def test_an_officer_covering_both_sides_sees_both_values(client, far_conflict, city_officer):
    page = login(client, city_officer).get(reverse("basedb:conflict_list")).content.decode()
    assert "13911112222" in page and "13700000000" in page


def test_the_covering_region_is_the_lowest_holding_both_townships():
    assert covering_region(TOWNSHIP_A, TOWNSHIP_B) == "370602"
    assert covering_region(TOWNSHIP_A, FAR_TOWNSHIP) == "3706"
    assert covering_region(TOWNSHIP_A, TOWNSHIP_A) == TOWNSHIP_A
