"""Our templates are what the intake recognises: every sheet of every category workbook maps to its subcategory,
with every item's column found, through the intake's own reader (calamine) and hidden metadata."""

import pytest

from catalog.models import Category
from catalog.specs_build import current_specs
from catalog.templates_xlsx import export_template
from collection.pipeline.run import open_upload, recognise_tables

pytestmark = pytest.mark.django_db


def test_every_template_sheet_is_recognised_as_its_subcategory(catalog, tmp_path):
    specs = current_specs()
    seen = set()
    for category in Category.objects.filter(subcategories__is_active=True).distinct():
        filename, content = export_template(category.code, rows=2)
        path = tmp_path / f"{category.code}.xlsx"
        path.write_bytes(content)
        workbook = open_upload(path, filename)
        for recognition in recognise_tables(workbook, specs):
            code = recognition.spec.code
            assert recognition.sheet_name.startswith(code)
            assert {c.item for c in recognition.columns if c.item} == {i.key for i in specs[code].items}, code
            seen.add(code)
    assert seen == set(specs)
