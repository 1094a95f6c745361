"""The API names no key in a URL (issue 11 item 7): an entity is looked up by POSTing its key, read back by its
opaque id; the old GET /entities/{kind}/{key}/ answers 410 with the way to the new form."""

from basedb.models import Entity
from tests.sharing.conftest import http, id_of, make_client

LOOKUP = "/api/v1/entities/lookup/"


def test_a_lookup_posts_the_key_and_returns_the_opaque_id(api):
    body = api.post(LOOKUP, {"kind": "person", "key": id_of(3)}, format="json").json()
    assert body["id"] == Entity.objects.get(key=id_of(3)).public_id and body["key"] == id_of(3)


def test_the_opaque_id_reads_the_entity_with_its_key_masked(api):
    public_id = Entity.objects.get(key=id_of(3)).public_id
    response = api.get(f"/api/v1/entities/{public_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == public_id and [r["subcategory"] for r in body["records"]] == ["P0101"]
    assert id_of(3) not in str(body) and "*" in body["key"]


def test_records_and_changes_carry_the_opaque_id(api):
    row = api.get("/api/v1/records/", {"subcategory": "P0101", "page_size": 1}).json()["results"][0]
    assert api.get(f"/api/v1/entities/{row['entity']['id']}/").status_code == 200
    change = api.get("/api/v1/changes/", {"page_size": 1}).json()["results"][0]
    assert len(change["entity"]["id"]) == 32


def test_the_opaque_id_of_an_entity_outside_the_clients_region_is_not_found(api):
    public_id = Entity.objects.get(key=id_of(9)).public_id
    assert api.get(f"/api/v1/entities/{public_id}/").status_code == 404


def test_the_old_form_with_the_key_in_the_url_is_gone(api):
    response = api.get(f"/api/v1/entities/person/{id_of(3)}/")
    assert response.status_code == 410
    body = response.json()
    assert body["code"] == "gone" and "POST /api/v1/entities/lookup/" in body["message"]
    assert id_of(3) not in response.content.decode()


def test_a_lookup_of_a_person_is_logged_as_a_personal_read_without_the_key(base_data):
    from sharing.models import AccessLog

    client, token = make_client(name="查人")
    http(token).post(LOOKUP, {"kind": "person", "key": id_of(3)}, format="json")
    entry = AccessLog.objects.filter(client=client).get()
    assert entry.endpoint == "entities" and id_of(3) not in str(entry.params)
