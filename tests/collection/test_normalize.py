"""Normalising cell text by type: each safe change counted with its kind, the rest left as written with an error."""

import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.spec import ItemSpec
from collection.pipeline import normalize as N
from collection.pipeline import type_checks as T
from collection.pipeline.normalize import check_values, clean_texts, normalize_column
from collection.pipeline.type_checks import parse_date, parse_number
from tests.collection.value_specs import EDUCATION, ETHNICITY, OTHERS, P0101, SEX, TODAY


def one(item: ItemSpec, text: str):
    """(value, rule, kinds) of one cell."""
    column = check_values([text], item, TODAY)
    return column.values[0], column.rules[0], column.kinds[0]


def test_full_width_digits_and_ideographic_spaces_become_half_width():
    nfkc, cleaned = clean_texts(["３７０６０２", "\u3000曲纯羽\u3000", "ａｂｃ（１）"], compact=False)
    assert cleaned == ["370602", "曲纯羽", "abc(1)"]
    assert nfkc[0] == "370602"


def test_whitespace_is_trimmed_and_collapsed_in_text_and_removed_in_compact_types():
    _, text = clean_texts(["  烟台市  芝罘区\n东山街道 ", "a\tb"], compact=False)
    _, compact = clean_texts(["  370613 199506065151 "], compact=True)
    assert text == ["烟台市 芝罘区 东山街道", "a b"]
    assert compact == ["370613199506065151"]


def test_zero_width_characters_are_removed():
    _, cleaned = clean_texts(["张\u200b三\ufeff"], compact=False)
    assert cleaned == ["张三"]


def test_a_cell_holding_the_join_separator_is_still_cleaned():
    _, cleaned = clean_texts(["a\x1fb ", " c"], compact=False)
    assert cleaned == ["a b", "c"]  # the control character counts as whitespace


def test_corrections_are_counted_only_when_something_changed():
    name = P0101.item("name")
    assert one(name, "郭荷真") == ("郭荷真", None, ())
    assert one(name, " 于克波 ") == ("于克波", None, (N.WHITESPACE,))
    assert one(name, "\u3000曲纯羽") == ("曲纯羽", None, (N.FULLWIDTH, N.WHITESPACE))


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("1990-01-01", "1990-01-01", None),
        ("1990-01-01 08:30:00", "1990-01-01", T.DATE_FORMAT),
        ("1990/1/1", "1990-01-01", T.DATE_FORMAT),
        ("1990.01.01", "1990-01-01", T.DATE_FORMAT),
        ("1990-1-1", "1990-01-01", T.DATE_FORMAT),
        ("19900101", "1990-01-01", T.DATE_FORMAT),
        ("1990年1月1日", "1990-01-01", T.DATE_FORMAT),
        ("1990年01月01日", "1990-01-01", T.DATE_FORMAT),
        ("33000", "1990-05-07", T.EXCEL_SERIAL),
        ("19613", "1953-09-11", T.EXCEL_SERIAL),
    ],
)
def test_dates_in_the_formats_townships_write_are_accepted(text, expected, kind):
    date, found_kind, error = parse_date(text)
    assert (date.isoformat(), found_kind, error) == (expected, kind, None)


@pytest.mark.parametrize(
    ("text", "error"),
    [("不详", "type"), ("去年三月", "type"), ("1990-13-45", "impossible"), ("1990-02-30", "impossible"),
     ("1990", "partial"), ("1990年5月", "partial"), ("123456", "type")],
)  # fmt: skip
def test_dates_that_cannot_be_read_are_errors(text, error):
    assert parse_date(text) == (None, None, error)


def test_a_future_birth_date_is_a_range_error():
    assert one(P0101.item("birth_date"), "2088-11-18")[1] == "range"
    assert one(P0101.item("birth_date"), "1899-12-31")[1] == "range"  # min_date 1900-01-01


def test_an_unreadable_date_keeps_the_written_text():
    value, rule, kinds = one(P0101.item("birth_date"), " 不详 ")
    assert (value, rule, kinds) == (" 不详 ", "type", ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13909030110", "13909030110"),
        ("191-5345-7164", "19153457164"),
        ("189 3247 6428", "18932476428"),
        ("+86 15788365154", "15788365154"),
        ("0086-15788365154", "15788365154"),
        ("１８０３１１１６２８７", "18031116287"),
        ("0535-6212345", "0535-6212345"),
        ("05356212345", "0535-6212345"),
        ("(0535)6212345", "0535-6212345"),
        ("010-12345678", "010-12345678"),
    ],
)
def test_phone_numbers_are_reduced_to_a_canonical_form(text, expected):
    value, rule, _ = one(P0101.item("phone"), text)
    assert (value, rule) == (expected, None)


@pytest.mark.parametrize(
    ("text", "rule"),
    [("1764231006", "length"), ("abc", "pattern"), ("12345678901", "pattern"), ("6612345", "pattern"),
     ("13812345678/13912345678", "pattern")],
)  # fmt: skip
def test_invalid_phone_numbers_are_errors(text, rule):
    assert one(P0101.item("phone"), text)[1] == rule


def test_codes_accept_code_label_and_alias_and_count_only_aliases():
    sex = P0101.item("sex")
    assert one(sex, "1") == ("1", None, ())
    assert one(sex, "男性") == ("1", None, ())
    assert one(sex, "男") == ("1", None, (T.CODE_LABEL,))
    assert one(P0101.item("education"), "本 科") == ("20", None, (T.CODE_LABEL,))  # spaces do not matter in codes


def test_a_code_that_lost_its_leading_zero_in_a_number_cell_is_found():
    assert one(P0101.item("ethnicity"), "1") == ("01", None, (T.CODE_LABEL,))


def test_an_unknown_code_lists_the_choices():
    column = check_values(["未知X"], P0101.item("sex"), TODAY)
    assert column.rules[0] == "code"
    assert column.messages[0] == "性别填写“未知X”不在代码表中，可填：未知的性别、男性、女性、未说明的性别"
    assert SEX.labels and EDUCATION.labels and ETHNICITY.labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [("是", True), ("否", False), (" 是 ", True), ("有", True), ("无", False), ("Y", True), ("n", False),
     ("TRUE", True), ("false", False), ("1", True), ("0", False)],
)  # fmt: skip
def test_booleans_accept_the_usual_words(text, expected):
    value, rule, _ = one(OTHERS.item("is_rented"), text)
    assert (value, rule) == (expected, None)


def test_an_unreadable_boolean_is_a_code_error():
    assert one(OTHERS.item("is_rented"), "也许")[1] == "code"


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [("3", "3", None), ("3层", "3", T.NUMBER_FORMAT), ("3.0", "3", T.NUMBER_FORMAT),
     ("+7", "7", T.NUMBER_FORMAT)],
)  # fmt: skip
def test_integers_are_read_with_separators_and_units(text, expected, kind):
    assert one(OTHERS.item("floors"), text) == (expected, None, (kind,) if kind else ())


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("三层", "type"),
        ("2.5", "type"),
        ("0", "range"),
        ("500", "range"),
        ("NaN", "type"),
        ("1,20", "type"),
        ("1,200", "range"),
    ],
)
def test_bad_integers_are_type_or_range_errors(text, rule):
    assert one(OTHERS.item("floors"), text)[1] == rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.5", "12.5"), ("120.50", "120.5"), ("1e-05", "0.00001"), ("88.5平方米", "88.5"), ("1,234.5", "1234.5")],
)
def test_decimals_are_written_canonically(text, expected):
    assert one(OTHERS.item("floor_area"), text)[:2] == (expected, None)


def test_decimal_bounds_can_be_exclusive():
    assert one(OTHERS.item("floor_area"), "0")[1] == "range"
    assert one(OTHERS.item("floor_area"), "-5")[1] == "range"
    assert one(OTHERS.item("floor_area"), "0.01")[1] is None


def test_parse_number_returns_none_for_text():
    assert parse_number("十二") == (None, None)


def test_id_numbers_get_upper_case_x_and_lose_spaces():
    item = P0101.item("id_number")
    assert one(item, "37068120031122656x") == ("37068120031122656X", None, (T.ID_LOWER_X,))
    assert one(item, "  370613199506065151 ") == ("370613199506065151", None, (N.WHITESPACE,))


@pytest.mark.parametrize("text", ["2.22401195703155e+17", "1.10102E+17", "3.70602198603015e+17", "3706021986030150.0"])
def test_ids_that_went_through_a_number_cell_are_precision_lost(text):
    column = check_values([text], P0101.item("id_number"), TODAY)
    assert column.rules[0] == "precision_lost"
    assert "文本" in column.messages[0] and "重新录入" in column.messages[0]


@pytest.mark.parametrize("text", ["1.5", "12.75", "-3.5", ".5", "370602.", "1.5e-3", "3.70602E+5"])
def test_a_decimal_in_an_id_column_is_not_an_id_and_no_digits_were_lost(text):
    column = check_values([text], P0101.item("id_number"), TODAY)
    assert column.rules[0] == "pattern"
    message = f"公民身份号码“{text}”是一个小数，不是身份证号码：请填写 18 位身份证号码（最后一位可以是 X）"
    assert column.messages[0] == message


@pytest.mark.parametrize(("text", "rule"), [("1.5", "pattern"), ("9.1110000600037E+17", "precision_lost")])
def test_a_decimal_credit_code_is_not_a_code_and_a_big_number_lost_digits(text, rule):
    column = check_values([text], OTHERS.item("uscc"), TODAY)
    assert column.rules[0] == rule
    assert ("小数" in column.messages[0]) is (rule == "pattern")


def test_an_id_ending_in_zeros_with_a_wrong_check_digit_hints_at_lost_digits():
    column = check_values(["210421195110265000"], P0101.item("id_number"), TODAY)
    assert column.rules[0] == "checksum"
    assert column.messages[0].startswith("公民身份号码校验位错误：按 GB 11643 计算应为 6，请核对号码")


def test_usccs_are_upper_cased():
    value, rule, kinds = one(OTHERS.item("uscc"), "91110000600037341l")
    assert (value, rule, kinds) == ("91110000600037341L", None, (T.UPPERCASE,))


def test_a_reference_is_verified_as_its_key_type():
    assert one(OTHERS.item("owner_id_number"), "120101195901154750")[1] == "checksum"
    assert one(OTHERS.item("owner_ref"), "任意编号 12")[1] is None  # no key_type: text


@pytest.mark.parametrize(("text", "rule"), [("370602", None), ("370602002", None), ("37060", "pattern")])
def test_region_codes_have_a_level_length(text, rule):
    assert one(OTHERS.item("region"), text)[1] == rule


def test_text_length_and_pattern_rules():
    item = OTHERS.item("code_no")
    assert one(item, "A123")[1] is None
    assert one(item, "A")[1] == "length"
    assert one(item, "A1234567890")[1] == "length"
    column = check_values(["a123"], item, TODAY)
    assert column.rules[0] == "pattern"
    assert "以大写字母开头" in column.messages[0]


def test_the_grid_is_free_text():
    assert one(P0101.item("grid"), "东山街道第07网格")[1] is None


def test_a_column_is_normalised_row_by_row_with_repeats_and_empty_cells():
    raw = np.array(["男", None, "女", "男", "  ", "未知X"], dtype=object)
    result = normalize_column(raw, P0101.item("sex"), TODAY)
    assert list(result.values) == ["1", None, "2", "1", None, "未知X"]
    assert list(result.empty) == [False, True, False, False, True, False]
    assert list(result.ok) == [True, False, True, True, False, False]
    assert list(result.rules) == [None, None, None, None, None, "code"]


def test_today_is_a_parameter():
    assert one(P0101.item("birth_date"), "2025-06-01")[1] == "range"
    assert check_values(["2025-06-01"], P0101.item("birth_date"), datetime.date(2026, 1, 1)).rules[0] is None


CELL_TEXT = st.text(
    alphabet=st.sampled_from(list("0123456789０１２３ xX-/.,年月日号是否男女汉本科+()（）\u3000\t\u200bAe万元层")),
    max_size=24,
)
ALL_ITEMS = [*P0101.items, *OTHERS.items]


@settings(max_examples=200, deadline=None)
@given(st.lists(CELL_TEXT, min_size=1, max_size=8, unique=True), st.sampled_from(ALL_ITEMS))
def test_any_text_is_normalised_without_crashing_and_valid_output_is_stable(texts, item):
    column = check_values(texts, item, TODAY)
    assert len(column.values) == len(texts)
    stable = [
        ("是" if v is True else "否" if v is False else v)
        for v, rule, empty in zip(column.values, column.rules, column.empty, strict=True)
        if rule is None and not empty
    ]
    again = check_values(stable, item, TODAY)
    assert list(again.rules) == [None] * len(stable)
    assert [("是" if v is True else "否" if v is False else v) for v in again.values] == stable
    assert all(kinds == () for kinds in again.kinds)


def test_only_the_items_own_unit_is_dropped():
    capital = ItemSpec("registered_capital", "注册资本（万元）", (), "decimal", min_value=0, unit="万元")
    assert one(capital, "500万")[:2] == ("500", None)
    assert one(capital, "500万元")[:2] == ("500", None)
    assert one(capital, "5000000元")[1] == "type"  # not silently 10,000 times too large
    assert one(OTHERS.item("floor_area"), "88.5㎡")[:2] == ("88.5", None)
    assert one(OTHERS.item("floor_area"), "88.5层")[1] == "type"
