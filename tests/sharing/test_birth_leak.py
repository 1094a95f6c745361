"""An internal client sees ID numbers masked (110101********7313); no endpoint may give it the hidden eight digits,
which are the birth date, in any other field of that record."""

import re

import pytest

from basedb.merge import merge_batch
from catalog.models import DataElement
from sharing.masking import mask_values
from tests.basedb.conftest import person, staged_batch
from tests.conftest import TOWNSHIP_A

from .conftest import http, make_client

ID = "110101194304107313"
BIRTH = "19430410"


def _strings(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, f"{path}[{i}]")
    elif node is not None:
        yield path, str(node)


def reveals(text: str) -> bool:
    """Does a string carry the birth digits: 19430410, 1943-04-10, 1943/4/10, 1943年4月10日, or the full ID?"""
    parts = re.findall(r"\d+", text)
    if BIRTH in "".join(parts):
        return True
    return any(
        f"{a}{int(b):02d}{int(c):02d}" == BIRTH
        for a, b, c in zip(parts, parts[1:], parts[2:], strict=False)
        if len(a) == 4 and len(b) <= 2 and len(c) <= 2
    )


def assert_no_birth(body, *, allow=()):
    leaks = [(p, t) for p, t in _strings(body) if p not in allow and reveals(t)]
    assert not leaks, leaks


@pytest.fixture
def old_man(base_data, city_officer):
    row = person(99, id_number=ID, birth_date="1943-04-10")
    for code in ("P0101", "P0301"):
        merge_batch(staged_batch(TOWNSHIP_A, [row], subcategory=code), acting_user=city_officer)
    return http(make_client(name="内部核查", sensitivity="internal")[1])


def test_the_catalog_classes_birth_date_as_personal(catalog):
    assert DataElement.objects.get(key="birth_date").sensitivity == "personal"


def test_records_never_reveal_the_masked_ids_birth_date(old_man):
    for query in ({}, {"fields": "birth_date"}, {"fields": "birth_date,id_number"}):
        for code in ("P0101", "P0301"):
            body = old_man.get("/api/v1/records/", {"subcategory": code, **query}).json()
            mine = [r for r in body["results"] if r["entity"]["key"] == "110101********7313"]
            assert mine, body
            assert_no_birth(mine)


def test_entities_never_reveal_the_masked_ids_birth_date(old_man):
    response = old_man.post("/api/v1/entities/lookup/", {"kind": "person", "key": ID}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert len(body["records"]) == 2
    assert_no_birth(body["records"])


def test_match_never_reveals_the_masked_ids_birth_date(old_man):
    response = old_man.post(
        "/api/v1/match/",
        {"keys": [ID], "subcategories": ["P0101", "P0301"], "fields": ["id_number", "birth_date", "name"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["results"][0]["matched"] == ["P0101", "P0301"]
    assert_no_birth(body, allow={".results[0].key"})  # the key the client itself sent


def test_changes_never_reveal_the_masked_ids_birth_date(old_man):
    cursor, mine = 0, []
    while True:
        body = old_man.get("/api/v1/changes/", {"cursor": cursor}).json()
        mine += [c for c in body["results"] if c["entity"]["key"] == "110101********7313"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert len(mine) == 2
    assert_no_birth(mine)


ITEMS = {
    "id_number": ("id_card", "personal", None),
    "guardian_id_number": ("reference", "personal", "id_card"),
    "birth_date": ("date", "internal", None),  # as if the catalog were edited back to internal
    "survey_date": ("date", "internal", None),
    "name": ("text", "personal", None),
}


@pytest.mark.parametrize("spelling", ["1943-04-10", "19430410", "1943/4/10", "1943年4月10日"])
def test_masking_omits_a_date_equal_to_a_masked_ids_birth_date_whatever_the_catalog_says(spelling):
    shown = mask_values({"id_number": ID, "birth_date": spelling, "survey_date": "2026-01-05"}, ITEMS, "internal")
    assert shown == {"id_number": "110101********7313", "survey_date": "2026-01-05"}


def test_masking_checks_the_whole_record_and_references_to_id_numbers():
    values = {"guardian_id_number": ID, "birth_date": "1943-04-10", "name": "张三"}
    assert "birth_date" not in mask_values({"birth_date": "1943-04-10"}, ITEMS, "internal", context=values)
    assert mask_values({"birth_date": "1943-04-10"}, ITEMS, "internal", extra_ids=[ID]) == {}


def test_a_client_reading_ids_in_clear_still_gets_the_birth_date():
    values = {"id_number": ID, "birth_date": "1943-04-10"}
    assert mask_values(values, ITEMS, "personal") == values
