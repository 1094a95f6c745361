"""An entity's display name comes from the township that first reported it: a user of another region who views a
record of the same entity (their own township's) reads the name as their own record gives it, on every page."""

import pytest
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Entity, Record
from regions.choices import Role
from tests.conftest import TOWNSHIP_A, make_user

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")
FAR_TOWNSHIP = "370611001"  # 福山区: another county than A's


@pytest.fixture
def far_collector(officer_a, city_officer):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, name="甲方姓名")]), acting_user=officer_a)
    merge_batch(staged_batch(FAR_TOWNSHIP, [person(1, name="乙方姓名")], subcategory="P0102"), acting_user=city_officer)
    return make_user("far_collector", Role.COLLECTOR, FAR_TOWNSHIP)


def test_a_user_of_another_county_reads_their_own_records_name_not_the_first_reporters(client, far_collector):
    client.force_login(far_collector)
    entity, record = Entity.objects.get(), Record.objects.get(region_id=FAR_TOWNSHIP)
    for url in (reverse("basedb:record_list"), reverse("basedb:entity_detail", args=[entity.public_id]),
                reverse("basedb:record_detail", args=[record.pk])):  # fmt: skip
        page = client.get(url).content.decode()
        assert "乙方姓名" in page and "甲方姓名" not in page, url


def test_the_first_reporters_own_users_still_read_its_display_name(client, officer_a, far_collector):
    client.force_login(officer_a)
    page = client.get(reverse("basedb:entity_detail", args=[Entity.objects.get().public_id])).content.decode()
    assert "<h1>甲方姓名" in page
