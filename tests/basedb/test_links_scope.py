"""The 360° page's links name no entity held only outside the user's region (issue 11 item 3)."""

import pytest
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Record
from tests.conftest import TOWNSHIP_A, login

from .conftest import person, staged_batch
from .test_views import merged_house

pytestmark = pytest.mark.usefixtures("catalog", "regions")
FAR_TOWNSHIP = "370611001"  # 福山区: another county


def test_a_link_to_an_owner_held_outside_the_region_shows_neither_name_nor_page(client, officer_a, collector_a,
                                                                                city_officer):  # fmt: skip
    merge_batch(staged_batch(FAR_TOWNSHIP, [person(7, name="远方业主")]), acting_user=city_officer)
    house = merged_house(officer_a, person(7))
    owner = Record.objects.get(subcategory__code="P0101").entity
    page = login(client, collector_a).get(reverse("basedb:entity_detail", args=[house.entity.public_id]))
    text = page.content.decode()
    assert "远方业主" not in text and owner.public_id not in text
    assert "本辖区以外登记的主体" in text


def test_a_link_to_an_owner_in_the_region_shows_name_and_page(client, officer_a, collector_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(8, name="本地业主")]), acting_user=officer_a)
    house = merged_house(officer_a, person(8))
    owner = Record.objects.get(subcategory__code="P0101").entity
    text = login(client, collector_a).get(reverse("basedb:entity_detail", args=[house.entity.public_id])).content
    assert "本地业主" in text.decode() and owner.public_id in text.decode()
