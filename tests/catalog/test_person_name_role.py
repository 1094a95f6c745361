"""A person's name is a catalog role (person_name in elements.yaml), not a list of keys in the code (issue 12 item 5):
where personal data is masked, an item with the role shows as 张** and any other personal text is left out, so a
new subcategory, or a new element, needs no code change."""

from dataclasses import replace

from catalog.spec import PERSON_NAME_ROLE
from catalog.specs_build import current_specs
from sharing.client_values import ItemInfo
from sharing.masking import OMIT, mask_value


def test_the_catalog_declares_the_person_names_that_were_once_listed_in_the_code(catalog):
    from catalog.models import DataElement

    declared = {e.key for e in DataElement.objects.all() if PERSON_NAME_ROLE in e.roles}
    assert {"name", "owner_name", "legal_representative", "guardian_name"} <= declared
    assert "enterprise_name" not in declared  # an enterprise's name is not a person's


def test_mask_value_masks_by_the_role_not_by_the_key():
    assert mask_value("anything", "text", "张三丰", person_name=True) == "张**"
    assert mask_value("name", "text", "张三丰") is OMIT


def test_a_new_element_with_the_role_is_masked_as_a_name_without_code_change(catalog):
    spec = current_specs()["P0101"]
    new_item = replace(spec.item("sex"), key="escort_name", name="陪护人姓名", type="text", sensitivity="personal",
                       code_table=None, roles=(PERSON_NAME_ROLE,))  # fmt: skip
    info = ItemInfo(replace(spec, items=(*spec.items, new_item)))
    assert info.values({"escort_name": "李四"}, "internal")[0] == {"escort_name": "李*"}


def test_without_the_role_a_personal_text_is_left_out(catalog):
    spec = current_specs()["P0101"]
    personal = tuple(replace(i, sensitivity="personal") if i.key == "name" else i for i in spec.items)
    plain = tuple(replace(i, roles=()) if i.key == "name" else i for i in personal)
    assert ItemInfo(replace(spec, items=personal)).values({"name": "王五"}, "internal")[0] == {"name": "王*"}
    assert ItemInfo(replace(spec, items=plain)).values({"name": "王五"}, "internal")[0] == {}
