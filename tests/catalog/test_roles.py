"""Element roles are catalog data (elements.yaml `roles:` and `refers_to:`): display names, probable duplicates and
entity links read them from the specs, so no code names an element key."""

from pathlib import Path

import pytest

from catalog.loader import load_catalog
from catalog.models import DataElement
from catalog.source import CatalogSourceError
from catalog.specs_build import build_table_spec

from .conftest import SMALL, write_source

pytestmark = pytest.mark.django_db


def test_the_real_catalog_declares_names_addresses_and_pointers():
    assert build_table_spec("P0101").display_name_keys[0] == "name"
    assert build_table_spec("E0101").display_name_keys == ("enterprise_name", "address")
    assert build_table_spec("S0105").keys_with_role("name") == ("party_name",)


def test_an_id_number_points_at_a_person_unless_it_is_the_tables_own_key():
    enterprise = build_table_spec("E0101")
    assert [(i.key, i.reference_kind) for i in enterprise.pointing_items()] == [("legal_rep_id_number", "person")]
    assert "id_number" not in [i.key for i in build_table_spec("P0101").pointing_items()]


@pytest.mark.usefixtures("empty_catalog")
def test_roles_are_loaded_with_their_elements(tmp_path):
    elements = SMALL["elements.yaml"].replace("type: text, sensitivity: internal", "type: text, roles: [name]")
    load_catalog(write_source(tmp_path / "roles", {**SMALL, "elements.yaml": elements}))
    assert DataElement.objects.get(key="name").roles == ["name"]
    assert DataElement.objects.get(key="address").roles == []


def errors_for(tmp_path: Path, elements: str) -> list[str]:
    with pytest.raises(CatalogSourceError) as exc:
        load_catalog(write_source(tmp_path / "bad", {**SMALL, "elements.yaml": elements}))
    return exc.value.errors


@pytest.mark.usefixtures("empty_catalog")
def test_an_unknown_role_and_a_pointer_from_plain_text_are_errors(tmp_path):
    elements = SMALL["elements.yaml"].replace("type: text, sensitivity: internal", "type: text, roles: [title]")
    elements = elements.replace(
        "{key: address, name: 地址, type: text}", "{key: address, name: 地址, type: text, refers_to: house}"
    )
    errors = errors_for(tmp_path, elements)
    assert any("（name）" in e and "未知的角色 'title'" in e for e in errors)
    assert any("（address）" in e and "refers_to 仅限" in e for e in errors)
