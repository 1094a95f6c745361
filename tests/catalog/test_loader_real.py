"""load_catalog on the real source: bulk (few queries whatever its size), idempotent, retiring what was removed."""

import pytest

from catalog.choices import ElementType, Sensitivity
from catalog.loader import load_catalog
from catalog.models import CatalogVersion, DataItem, Subcategory
from catalog.spec import ELEMENT_TYPES, SENSITIVITY_ORDER
from catalog.specs_build import clear_spec_cache, current_specs

pytestmark = pytest.mark.django_db


def test_loading_the_full_catalog_takes_a_bounded_number_of_queries(empty_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(80):
        report = load_catalog()
    assert report.kinds["items"].added == report.counts["items"]


def test_a_subcategory_removed_from_the_real_source_is_retired(real_source_copy):
    clear_spec_cache()
    load_catalog(real_source_copy)
    path = real_source_copy / "domains" / "S.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("      - code: S0209")], encoding="utf-8")
    report = load_catalog(real_source_copy)
    assert report.kinds["subcategories"].retired == 1 and report.version_created
    assert not Subcategory.objects.get(code="S0209").is_active
    assert DataItem.objects.filter(subcategory__code="S0209").exists()
    assert "S0209" not in current_specs()
    assert not load_catalog(real_source_copy).changed
    assert CatalogVersion.objects.count() == 2
    clear_spec_cache()


def test_the_choices_follow_the_spec_module():
    assert tuple(ElementType.values) == ELEMENT_TYPES
    assert tuple(Sensitivity.values) == SENSITIVITY_ORDER
    assert [label for _, label in Sensitivity.choices] == ["公开", "内部", "敏感", "个人敏感"]


def test_sensitivity_compares_by_its_order():
    assert Sensitivity.at_most("internal", "sensitive") and not Sensitivity.at_most("personal", "sensitive")
    assert Sensitivity.up_to("internal") == ["public", "internal"]
    with pytest.raises(ValueError):
        Sensitivity.rank("secret")
