from sharing.masking import allowed, mask_id_number, mask_name, mask_phone, mask_values

ITEMS = {
    "name": ("text", "personal", None),
    "id_number": ("id_card", "personal", None),
    "phone": ("phone", "personal", None),
    "disability_type": ("code", "personal", None),
    "current_address": ("text", "sensitive", None),
    "sex": ("code", "internal", None),
}
VALUES = {
    "name": "张三丰",
    "id_number": "37060219800101123X",
    "phone": "13812348000",
    "disability_type": "4",
    "current_address": "芝罘区东山街道1号",
    "sex": "1",
}


def test_it_masks_an_id_number_keeping_area_and_last_four():
    assert mask_id_number("37060219800101123X") == "370602********123X"


def test_it_masks_a_mobile_phone_as_138_stars_8000():
    assert mask_phone("13812348000") == "138****8000"


def test_it_masks_a_landline_keeping_area_code_and_last_four():
    assert mask_phone("0535-6612345") == "0535***2345"


def test_it_masks_a_name_keeping_the_family_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"


def test_sensitivity_is_ordered_public_internal_sensitive_personal():
    assert allowed("internal", "internal") and allowed("public", "internal")
    assert not allowed("sensitive", "internal") and not allowed("personal", "sensitive")


def test_an_internal_client_sees_masked_identifiers_and_no_health_facts():
    shown = mask_values(VALUES, ITEMS, "internal", person_names={"name"})
    assert shown == {"name": "张**", "id_number": "370602********123X", "phone": "138****8000", "sex": "1"}


def test_a_personal_client_sees_everything_in_clear():
    assert mask_values(VALUES, ITEMS, "personal") == VALUES
