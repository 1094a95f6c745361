"""build_table_spec / current_specs: effective rules, normalised code lookups, cross rules, caching."""

import pytest

from catalog.loader import load_catalog
from catalog.models import DataElement
from catalog.spec import CrossRuleSpec
from catalog.specs_build import (
    LazySpecs,
    build_table_spec,
    clear_spec_cache,
    current_specs,
    current_version,
    specs_on_demand,
)
from grassroots.text import lookup_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(empty_catalog, small_source):
    clear_spec_cache()
    load_catalog(small_source)
    yield small_source
    clear_spec_cache()


def test_normalisation_folds_width_whitespace_and_case():
    assert lookup_key(" 男\u3000性 ") == "男性"
    assert lookup_key("ＡＢ c") == "abc"


def test_the_spec_lists_items_in_order_with_required_flags(loaded):
    spec = build_table_spec("P0101")
    assert [(i.key, i.required) for i in spec.items] == [
        ("name", True),
        ("id_number", True),
        ("sex", True),
        ("birth_date", False),
    ]
    assert (spec.kind, spec.key_items, spec.catalog_version) == ("person", ("id_number",), "t.1")
    assert spec.cross_rules == (CrossRuleSpec(rule="id_birth_date", fields={"id": "id_number", "date": "birth_date"}),)


def test_code_lookup_accepts_code_label_and_alias(loaded):
    sex = build_table_spec("P0101").item("sex").code_table
    assert {sex.lookup[lookup_key(f)] for f in ("男", "男性", "1")} == {"1"}
    assert sex.labels == {"1": "男性", "2": "女性"}


def test_item_overrides_merge_over_element_rules(loaded):
    floors = build_table_spec("H0101").item("floors")
    assert (floors.min_value, floors.max_value) == (1, 100)


def test_an_item_label_becomes_the_header_and_the_element_name_an_alias(loaded):
    address = build_table_spec("H0101").item("address")
    assert (address.name, address.aliases, address.required) == ("房屋地址", ("地址",), True)
    assert address.help_text == "写到门牌号"


def test_a_reference_keeps_its_type_and_carries_the_key_type(loaded):
    owner = build_table_spec("H0101").item("owner_id_number")
    assert (owner.type, owner.reference_kind, owner.key_type) == ("reference", "person", "id_card")


def test_current_specs_holds_every_active_subcategory_in_few_queries(loaded, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        specs = current_specs()
    assert list(specs) == ["P0101", "P0102", "H0101"]


def test_current_specs_is_cached_until_the_version_changes(loaded, django_assert_num_queries):
    first = current_specs()
    with django_assert_num_queries(1):
        assert current_specs() is first
    elements = (loaded / "elements.yaml").read_text(encoding="utf-8")
    (loaded / "elements.yaml").write_text(elements.replace("max: 200", "max: 300"), encoding="utf-8")
    load_catalog(loaded)
    assert current_specs() is not first
    assert current_specs()["H0101"].item("floors").max_value == 100
    assert DataElement.objects.get(key="floors").rules["max"] == 300
    assert current_version().version == current_specs()["P0101"].catalog_version == "t.1"


def test_specs_on_demand_builds_only_the_table_asked_for_until_all_are_needed(loaded):
    specs = specs_on_demand()
    assert isinstance(specs, LazySpecs)
    assert list(specs) == ["P0101", "P0102", "H0101"] and len(specs) == 3
    assert "P0102" in specs and "X9999" not in specs
    with pytest.raises(KeyError):
        specs["X9999"]
    one = specs["P0102"]
    assert set(specs._built) == {"P0102"} and specs._all is None  # nothing else was built
    full = current_specs()
    assert one == full["P0102"]
    assert list(specs.values()) == list(full.values())  # recognising among all tables builds them all
    assert dict(specs.items()) == full and specs["H0101"] is full["H0101"]


def test_specs_on_demand_is_the_built_dict_once_this_process_has_it(loaded, django_assert_num_queries):
    full = current_specs()
    with django_assert_num_queries(1):
        assert specs_on_demand() is full
