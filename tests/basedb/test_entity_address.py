"""Entities are addressed by a random public id (issue 11 items 1 and 7): no ID number in a URL, a Location header,
a page title or a request log line; the old address by database id is scoped like the page itself."""

import json
import logging
import re

import pytest
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Entity, Record
from grassroots import gunicorn_config
from grassroots.logging import AccessJsonFormatter, JsonFormatter
from tests.conftest import TOWNSHIP_A, login

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")
ID = person(1)["id_number"]


@pytest.fixture
def a_record(officer_a):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1), person(2)]), acting_user=officer_a)
    return Record.objects.select_related("entity").get(entity__key=ID)


def test_the_merge_gives_every_new_entity_its_own_random_public_id(a_record):
    ids = list(Entity.objects.values_list("public_id", flat=True))
    assert len(set(ids)) == 2 and all(re.fullmatch("[0-9a-f]{32}", i) for i in ids)


def test_the_entity_page_is_addressed_by_its_public_id_not_its_key(client, a_record, collector_a):
    url = reverse("basedb:entity_detail", args=[a_record.entity.public_id])
    assert ID not in url
    page = login(client, collector_a).get(url).content.decode()
    assert ID[:6] + "********" + ID[-4:] in page and ID not in page  # the body shows the key masked (issue 11 item 8)
    assert ID not in re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert client.get(f"/basedb/entities/person/{ID}/").status_code == 404


def test_the_record_page_title_names_no_person(client, a_record, collector_a):
    page = login(client, collector_a).get(reverse("basedb:record_detail", args=[a_record.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert ID not in title and "测试1" not in title


def test_the_record_list_links_entities_by_public_id(client, a_record, collector_a):
    page = login(client, collector_a).get(reverse("basedb:record_list")).content.decode()
    assert reverse("basedb:entity_detail", args=[a_record.entity.public_id]) in page
    assert f"/{ID}/" not in page


def test_the_old_address_by_database_id_redirects_without_the_key(client, a_record, collector_a):
    response = login(client, collector_a).get(reverse("basedb:entity_by_id", args=[a_record.entity_id]))
    assert response.status_code == 302 and ID not in response["Location"]
    assert response["Location"] == reverse("basedb:entity_detail", args=[a_record.entity.public_id])


@pytest.mark.parametrize("who", ["collector_b", "other_county_officer", "no_role"])
def test_the_old_address_is_404_outside_the_region(client, a_record, who, request):
    from tests.conftest import make_user

    user = make_user("no_role_user") if who == "no_role" else request.getfixturevalue(who)
    response = login(client, user).get(reverse("basedb:entity_by_id", args=[a_record.entity_id]))
    assert response.status_code == 404 and "Location" not in response


def test_a_search_by_id_number_is_posted_and_lands_on_the_public_address(client, a_record, collector_a):
    response = login(client, collector_a).post(reverse("basedb:record_search"), {"q": ID.lower()})
    assert response["Location"] == reverse("basedb:entity_detail", args=[a_record.entity.public_id])


def test_a_search_by_name_keeps_the_text_out_of_the_address(client, a_record, collector_a):
    response = login(client, collector_a).post(reverse("basedb:record_search"), {"q": "测试"})
    assert "测试" not in response["Location"] and "%E6%B5%8B" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "测试1" in page and "测试2" in page and 'value="测试"' in page


def test_a_search_outside_the_region_finds_nothing_and_names_no_entity(client, a_record, collector_b):
    response = login(client, collector_b).post(reverse("basedb:record_search"), {"q": ID})
    assert a_record.entity.public_id not in response["Location"]
    assert "测试1" not in client.get(response["Location"]).content.decode()


def test_a_query_string_on_the_record_list_is_not_a_search(client, a_record, collector_b, collector_a):
    page = login(client, collector_a).get(reverse("basedb:record_list"), {"q": "测试2"}).content.decode()
    assert "测试1" in page  # ?q= is ignored: searches are posted


def test_request_log_lines_carry_no_query_string(client, a_record, collector_a, caplog):
    login(client, collector_a)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/basedb/nowhere/?q={ID}").status_code == 404
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "django.request"]
    assert lines and all(ID not in line for line in lines)
    server = logging.makeLogRecord(
        {"name": "django.server", "msg": '"%s" %s %s', "args": (f"GET /basedb/?q={ID} HTTP/1.1", 200, 5)}
    )
    assert ID not in JsonFormatter().format(server) and "/basedb/" in JsonFormatter().format(server)


def test_the_web_server_access_log_has_method_and_path_only():
    assert "%(r)s" not in gunicorn_config.access_log_format and "%(q)s" not in gunicorn_config.access_log_format
    atoms = {"h": "127.0.0.1", "m": "GET", "U": "/basedb/", "q": f"q={ID}", "s": "200", "B": "5", "M": "3"}
    record = logging.makeLogRecord(
        {"name": "gunicorn.access", "msg": gunicorn_config.access_log_format, "args": (atoms,)}
    )
    record.args = atoms
    line = json.loads(AccessJsonFormatter().format(record))
    assert line["path"] == "/basedb/" and ID not in json.dumps(line)
