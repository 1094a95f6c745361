"""The rule language: checked against the catalog, every problem reported in Chinese, naming where it is."""

import pytest

from basedb.conditions import Age, AnyOf, Comparison, Presence
from catalog.specs_build import current_specs
from matching.definition import RuleInvalid, parse_rule

pytestmark = pytest.mark.django_db
FACTS = ["deceased", "other"]


def rule(**fields) -> dict:
    base = {"code": "test_rule", "name": "测试规则", "department": "市民政局", "basis": "测试依据", "subject": "P0101"}
    return base | fields


def errors_of(data: dict) -> list[str]:
    with pytest.raises(RuleInvalid) as caught:
        parse_rule(data, specs=current_specs(), facts=FACTS)
    return caught.value.errors


def parse(data: dict):
    return parse_rule(data, specs=current_specs(), facts=FACTS)


def test_a_rule_with_comparisons_ages_any_and_presences_is_parsed(rules_loaded):
    definition = parse(rule(
        when=[{"age": {"gte": 16, "lt": 60}}, {"item": "sex", "eq": "2"},
              {"any": [{"item": "birth_date", "lte": "参考日-1年"}, {"item": "phone", "empty": True}]}],
        has=["P0209"], has_none=[{"subcategory": "P0304", "when": [{"item": "disability_subsidy_type", "in": ["1"]}]}],
    ))  # fmt: skip
    assert definition.when[:3] == (
        Age("gte", 16, "birth_date", "id_number"), Age("lt", 60, "birth_date", "id_number"),
        Comparison("sex", "eq", "2", "code"),
    )  # fmt: skip
    assert isinstance(definition.when[3], AnyOf)
    assert definition.has == (Presence("P0209"),)
    assert definition.has_none[0].conditions == (Comparison("disability_subsidy_type", "in", ["1"], "code"),)
    assert definition.subcategories == {"P0101", "P0209", "P0304"}
    assert definition.feedback == tuple(FACTS)


def test_unknown_subcategories_and_items_are_refused_in_chinese(rules_loaded):
    errors = errors_of(rule(subject="P9999", has=["P0000"]))
    assert "subject：子类 P9999 不在数据目录中（或已停用）" in errors
    errors = errors_of(rule(when=[{"item": "no_such_item", "eq": "1"}], show=["name", "salary"]))
    assert "when（主体条件） 第 1 条：子类 P0101（户籍人口）没有数据项 no_such_item" in errors
    assert "show：子类 P0101（户籍人口）没有数据项 salary" in errors


def test_an_unknown_code_is_refused_and_a_label_points_to_its_code(rules_loaded):
    (error,) = errors_of(rule(when=[{"item": "sex", "eq": "女"}]))
    assert "代码表" in error and "中没有代码“女”（“女”对应的代码是 2）" in error


def test_ranges_on_text_items_and_bad_values_are_refused(rules_loaded):
    errors = errors_of(rule(when=[
        {"item": "name", "gt": "张"}, {"item": "birth_date", "gte": "去年"}, {"age": {"gte": "八十"}},
    ]))  # fmt: skip
    assert any("gt（大于）只适用于数字和日期数据项" in e for e in errors)
    assert any("“去年”不是日期" in e for e in errors)
    assert any("年龄“八十”应为 0–150 的整数（周岁）" in e for e in errors)


def test_a_presence_in_a_subcategory_keyed_otherwise_is_refused(rules_loaded):
    (error,) = errors_of(rule(has=["P0303"]))
    assert "子类 P0303（临时救助对象）以“公民身份号码、救助日期”识别主体" in error
    assert "不能按同一主体匹配" in error


def test_an_age_needs_a_birth_date_or_an_id_number(rules_loaded):
    (error,) = errors_of(rule(subject="H0101", when=[{"age": {"gte": 80}}], show=None))
    assert "年龄条件需要子类 H0101" in error


def test_missing_fields_bad_codes_unknown_keys_and_facts_are_all_reported_at_once(rules_loaded):
    errors = errors_of({"code": "Bad Code", "subject": "P0101", "colour": "red", "feedback": ["lost"],
                        "has": ["P0307"]})  # fmt: skip
    assert "name：必填" in errors and "department：必填" in errors and "basis：必填" in errors
    assert any(e.startswith("code：“Bad Code”不合格") for e in errors)
    assert any(e.startswith("未知的字段 colour") for e in errors)
    assert any("反馈事实 lost 未定义" in e for e in errors)


def test_a_rule_without_any_condition_is_refused(rules_loaded):
    assert errors_of(rule()) == ["规则至少需要一个条件（when、has、has_any 或 has_none）"]
