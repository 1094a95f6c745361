"""The real catalog (fixtures/catalog/): the pinned subcategories item by item, the code lookups townships rely on,
and the acceptance counts 6/15/177/2053."""

import pytest

from catalog.loader import load_catalog
from catalog.models import Category, DataItem, Domain, Subcategory
from catalog.spec import CrossRuleSpec
from catalog.specs_build import build_table_spec
from grassroots.text import lookup_key

pytestmark = pytest.mark.django_db

P0101 = [
    ("name", "姓名", "text", True, None),
    ("id_number", "公民身份号码", "id_card", True, None),
    ("sex", "性别", "code", True, "GB_T_2261_1"),
    ("ethnicity", "民族", "code", False, "GB_T_3304"),
    ("birth_date", "出生日期", "date", False, None),
    ("phone", "联系电话", "phone", False, None),
    ("household_address", "户籍地址", "text", False, None),
    ("current_address", "现住址", "text", True, None),
    ("relation_to_head", "与户主关系", "code", False, "GB_T_4761"),
    ("education", "文化程度", "code", False, "GB_T_4658"),
    ("marital_status", "婚姻状况", "code", False, "GB_T_2261_2"),
    ("political_status", "政治面貌", "code", False, "GB_T_4762"),
    ("grid", "所属网格", "text", False, None),
    ("remarks", "备注", "text", False, None),
]
P0102_KEYS = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "phone",
    "household_address",
    "current_address",
    "arrival_date",
    "residence_permit_no",
    "employer",
    "inflow_reason",
    "grid",
    "remarks",
]
H0101 = [
    ("house_code", "房屋编码", "text", True),
    ("address", "房屋地址", "text", True),
    ("house_use", "房屋用途", "code", False),
    ("structure", "建筑结构", "code", False),
    ("floors", "层数", "integer", False),
    ("floor_area", "建筑面积", "decimal", False),
    ("owner_name", "产权人姓名", "text", False),
    ("owner_id_number", "产权人身份证号", "id_card", False),
    ("is_rented", "是否出租", "boolean", False),
    ("grid", "所属网格", "text", False),
    ("remarks", "备注", "text", False),
]
E0101 = [
    ("enterprise_name", "企业名称", "text", True),
    ("uscc", "统一社会信用代码", "uscc", True),
    ("legal_representative", "法定代表人", "text", False),
    ("legal_rep_id_number", "法定代表人身份证号", "id_card", False),
    ("phone", "联系电话", "phone", False),
    ("address", "经营地址", "text", True),
    ("industry", "行业门类", "code", False),
    ("employees", "从业人员数", "integer", False),
    ("registered_capital", "注册资本（万元）", "decimal", False),
    ("established_date", "成立日期", "date", False),
    ("grid", "所属网格", "text", False),
    ("remarks", "备注", "text", False),
]


def code_of(spec, key: str, written: str) -> str | None:
    return spec.item(key).code_table.lookup.get(lookup_key(written))


def test_it_holds_6_15_177_2053(catalog):
    assert Domain.objects.count() == 6
    assert Category.objects.count() == 15
    assert Subcategory.objects.filter(is_active=True).count() == 177
    assert DataItem.objects.filter(subcategory__is_active=True).count() == 2053
    assert catalog.counts["items"] == 2053


def test_the_pinned_categories_carry_their_codes_and_names(catalog):
    names = dict(Category.objects.values_list("code", "name"))
    for code, name in {"P01": "常住人口", "H01": "房屋建筑", "E01": "市场主体"}.items():
        assert names[code] == name


def test_p0101_lists_its_items_in_order_with_types_required_flags_and_code_tables(catalog):
    spec = build_table_spec("P0101")
    got = [(i.key, i.name, i.type, i.required, i.code_table.code if i.code_table else None) for i in spec.items]
    assert (spec.name, spec.kind, spec.key_items) == ("户籍人口", "person", ("id_number",))
    assert got == P0101
    assert list(spec.cross_rules) == [
        CrossRuleSpec(rule="id_birth_date", fields={"id": "id_number", "date": "birth_date"}),
        CrossRuleSpec(rule="id_sex", fields={"id": "id_number", "sex": "sex"}),
    ]


def test_p0102_checks_arrival_after_birth_and_not_in_the_future(catalog):
    spec = build_table_spec("P0102")
    assert [i.key for i in spec.items] == P0102_KEYS
    assert spec.key_items == ("id_number",)
    assert spec.item("current_address").required and spec.item("arrival_date").not_future
    rule = CrossRuleSpec(rule="date_not_before", fields={"field": "arrival_date", "other": "birth_date"})
    assert rule in spec.cross_rules
    assert None not in {code_of(spec, "inflow_reason", w) for w in ("务工", "经商", "投靠亲友", "其他")}


def test_h0101_keys_houses_by_house_code_with_floor_and_area_rules(catalog):
    spec = build_table_spec("H0101")
    got = [(i.key, i.name, i.type if i.type != "reference" else i.key_type, i.required) for i in spec.items]
    assert got == H0101
    assert spec.key_items == ("house_code",)
    assert spec.item("house_code").max_length == 40 and spec.item("house_code").pattern is None
    floors, area = spec.item("floors"), spec.item("floor_area")
    assert (floors.min_value, floors.max_value) == (1, 200)
    assert (area.min_value, area.min_exclusive) == (0, True)
    assert spec.item("owner_id_number").reference_kind in (None, "person")


def test_e0101_keys_enterprises_by_uscc_and_accepts_sections_by_letter_or_name(catalog):
    spec = build_table_spec("E0101")
    got = [(i.key, i.name, i.type if i.type != "reference" else i.key_type, i.required) for i in spec.items]
    assert got == E0101
    assert spec.key_items == ("uscc",)
    assert code_of(spec, "industry", "C") == code_of(spec, "industry", "制造业") == "C"
    assert code_of(spec, "industry", "c") == "C"
    assert spec.item("employees").min_value == 0
    assert spec.item("registered_capital").min_value == 0
    assert spec.item("established_date").not_future


@pytest.mark.parametrize(
    ("key", "written", "label"),
    [
        ("sex", ["男", "男性", "1"], "男性"),
        ("sex", ["女", "女性", "2"], "女性"),
        ("ethnicity", ["汉", "汉族", "01"], "汉族"),
        ("ethnicity", ["回", "回族"], "回族"),
        ("education", ["本科", "大学本科"], "大学本科教育"),
        ("education", ["大专", "大学专科"], "大学专科教育"),
        ("education", ["高中"], "普通高级中学教育"),
        ("education", ["初中"], "初级中学教育"),
        ("education", ["小学"], "小学教育"),
        ("education", ["研究生"], "研究生教育"),
        ("political_status", ["中共党员", "中国共产党党员"], "中国共产党党员"),
        ("political_status", ["共青团员"], "中国共产主义青年团团员"),
        ("political_status", ["群众"], "群众"),
        ("marital_status", ["未婚"], "未婚"),
        ("marital_status", ["已婚"], "已婚"),
        ("marital_status", ["离婚"], "离婚"),
        ("marital_status", ["丧偶"], "丧偶"),
    ],
)
def test_p0101_code_lookups_accept_what_townships_write(catalog, key, written, label):
    table = build_table_spec("P0101").item(key).code_table
    codes = {table.lookup.get(lookup_key(w)) for w in written}
    assert len(codes) == 1
    assert table.labels[codes.pop()] == label


def test_sex_and_ethnicity_codes_are_the_standard_ones(catalog):
    spec = build_table_spec("P0101")
    assert code_of(spec, "sex", "男") == "1"
    assert code_of(spec, "ethnicity", "汉") == "01"


def test_relation_to_head_accepts_the_common_words(catalog):
    spec = build_table_spec("P0101")
    for written in ("户主", "配偶", "子", "女", "父亲", "母亲"):
        assert code_of(spec, "relation_to_head", written), written


def test_header_aliases_include_the_common_ones(catalog):
    p, e = build_table_spec("P0101"), build_table_spec("E0101")
    assert {"身份证号", "身份证号码", "公民身份证号码", "证件号码"} <= set(p.item("id_number").aliases)
    assert {"手机号", "手机号码", "电话"} <= set(p.item("phone").aliases)
    assert {"现居住地址", "居住地址"} <= set(p.item("current_address").aliases)
    assert {"出生年月日"} <= set(p.item("birth_date").aliases)
    assert {"信用代码", "社会信用代码"} <= set(e.item("uscc").aliases)


def test_loading_the_real_catalog_twice_changes_nothing(catalog):
    report = load_catalog()
    assert not report.changed
