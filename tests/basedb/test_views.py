"""Base-database pages: who sees which records and conflicts, resolving and reverting through the web.

Covered: record list, entity page, conflict list, conflict resolve, batch revert — each for anonymous, wrong role,
other region and own region."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Conflict, Entity, Record
from tests.conftest import PASSWORD, TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog_loaded", "regions")


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def a_record(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1)]), acting_user=officer_a)
    return Record.objects.get()


@pytest.fixture
def conflict(officer_a, a_record):
    merge_batch(staged_batch(TOWNSHIP_B, [person(1, phone="13700000000")]), acting_user=officer_a)
    return Conflict.objects.get()


@pytest.mark.parametrize("name", ["basedb:record_list", "basedb:conflict_list"])
def test_anonymous_users_are_sent_to_login(client, name):
    assert reverse("login") in client.get(reverse(name))["Location"]


def test_a_collector_sees_the_records_of_their_township_only(client, a_record, collector_a, collector_b):
    assert "测试1" in login(client, collector_a).get(reverse("basedb:record_list")).content.decode()
    assert "测试1" not in login(client, collector_b).get(reverse("basedb:record_list")).content.decode()


def test_the_entity_page_shows_history_and_is_404_outside_the_region(client, a_record, collector_a, collector_b):
    url = reverse("basedb:entity_detail", args=[a_record.entity.kind, a_record.entity.key])
    page = login(client, collector_a).get(url).content.decode()
    assert "变更历史" in page and "officer_a" in page
    assert login(client, collector_b).get(url).status_code == 404


def test_an_officer_covering_both_townships_resolves_a_conflict_on_the_web(client, conflict, officer_a):
    login(client, officer_a)
    assert person(1)["id_number"] in client.get(reverse("basedb:conflict_list")).content.decode()
    client.post(reverse("basedb:conflict_resolve", args=[conflict.pk]), {"decision": "take_new"})
    assert Record.objects.get().values["phone"] == "13700000000"


@pytest.mark.parametrize("who", ["collector_b", "other_county_officer"])
def test_others_cannot_see_or_resolve_the_conflict(client, conflict, who, request):
    login(client, request.getfixturevalue(who))
    assert person(1)["id_number"] not in client.get(reverse("basedb:conflict_list")).content.decode()
    response = client.post(reverse("basedb:conflict_resolve", args=[conflict.pk]), {"decision": "take_new"})
    assert response.status_code == 404
    assert Conflict.objects.get().status == "open"


def test_the_conflict_list_runs_a_fixed_number_of_queries(client, officer_a, conflict):
    login(client, officer_a)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("basedb:conflict_list"))
    merge_batch(staged_batch(TOWNSHIP_A, [person(2), person(3)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_B, [person(2), person(3)]), acting_user=officer_a)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("basedb:conflict_list"))
    assert Conflict.objects.count() == 3
    assert len(three) == len(one)


def test_an_officer_reverts_a_batch_and_a_collector_cannot(client, officer_a, collector_a):
    batch = staged_batch(TOWNSHIP_A, [person(5)])
    merge_batch(batch, acting_user=officer_a)
    url = reverse("basedb:batch_revert", args=[batch.pk])
    assert login(client, collector_a).post(url).status_code == 404
    assert Record.objects.get().status == "active"
    assert login(client, officer_a).post(url).status_code == 302
    assert Record.objects.get().status == "retired"
    assert Entity.objects.count() == 1
