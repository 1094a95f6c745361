"""verify_chunk: every problem of every cell, cross-field rules, duplicates across chunks, the frame handed on."""

import numpy as np

from collection.pipeline.types import ERROR
from collection.pipeline.verify import InFileKeys, verify_chunk
from tests.collection.value_specs import OTHERS, P0101, TODAY, raw_frame, verify

GOOD = {
    "name": "郭荷真",
    "id_number": "340421196601287908",
    "sex": "女",
    "birth_date": "1966-01-28",
    "phone": "13909030110",
    "current_address": "烟台市芝罘区东山街道烟台山路119号",
}


def row(**changes) -> dict:
    return {**GOOD, **changes}


def rules_of(result, row_number: int) -> set[tuple[str, str]]:
    return {(i.item, i.rule) for i in result.issues if i.row == row_number}


def test_a_clean_row_is_valid_with_normalised_values_and_its_key():
    result = verify(P0101, [row()])
    record = result.frame.iloc[0]
    assert result.issues == []
    assert record["sex"] == "2"
    assert bool(record["_valid"]) is True
    assert record["_key"] == "340421196601287908"
    assert record["_row"] == 2


def test_every_problem_of_a_row_is_reported_not_only_the_first():
    result = verify(P0101, [row(name=None, id_number="120101195901154750", sex="未知X", phone="abc")])
    assert rules_of(result, 2) == {
        ("name", "required"),
        ("id_number", "checksum"),
        ("sex", "code"),
        ("phone", "pattern"),
    }
    assert not result.frame["_valid"].iloc[0]
    assert result.frame["_key"].iloc[0] is None


def test_an_issue_names_the_excel_row_the_file_header_and_the_cell_as_written():
    raw = raw_frame([row(), row(id_number=" 120101195901154750 ")], first_row=5)
    result = verify_chunk(
        raw, P0101, {"id_number": "身份证号码"}, keys=InFileKeys(), today=TODAY, column_indexes={"id_number": 1}
    )
    (issue,) = result.issues
    assert (issue.row, issue.column, issue.item, issue.rule, issue.severity) == (
        6,
        "身份证号码",
        "id_number",
        "checksum",
        ERROR,
    )
    assert issue.value == " 120101195901154750 "
    assert issue.column_index == 1
    assert issue.message == "公民身份号码校验位错误：按 GB 11643 计算应为 5，请核对号码"


def test_valid_rows_are_not_held_back_by_invalid_ones():
    result = verify(P0101, [row(phone="abc"), row(id_number="222401195709185975", birth_date=None, sex="男")])
    assert list(result.frame["_valid"]) == [False, True]


def test_an_empty_optional_cell_is_no_issue_and_none_in_the_frame():
    result = verify(P0101, [row(phone=None, birth_date="  ")])
    assert result.issues == []
    assert result.frame["phone"].iloc[0] is None
    assert result.frame["birth_date"].iloc[0] is None


def test_a_birth_date_that_differs_from_the_id_is_a_cross_field_error_on_the_date():
    result = verify(P0101, [row(birth_date="1966-01-29")])
    (issue,) = result.issues
    assert (issue.item, issue.rule) == ("birth_date", "cross_field")
    assert "1966-01-29" in issue.message and "1966-01-28" in issue.message


def test_a_sex_that_contradicts_the_id_is_a_cross_field_error_on_the_sex():
    result = verify(P0101, [row(sex="男")])
    (issue,) = result.issues
    assert (issue.item, issue.rule, issue.value) == ("sex", "cross_field", "男")
    assert "女" in issue.message


def test_cross_field_rules_wait_for_both_values_to_be_valid():
    result = verify(P0101, [row(id_number="120101195901154750", sex="男", birth_date="1966-01-29")])
    assert rules_of(result, 2) == {("id_number", "checksum")}


def test_an_unspecified_sex_does_not_contradict_the_id():
    assert verify(P0101, [row(sex="未说明的性别")]).issues == []


def test_date_not_before_flags_the_later_field():
    result = verify(OTHERS, [{"code_no": "A1", "birth_date": "1986-04-24", "arrival_date": "1985-07-19"}])
    (issue,) = result.issues
    assert (issue.item, issue.rule) == ("arrival_date", "cross_field")
    assert verify(OTHERS, [{"code_no": "A1", "birth_date": "1986-04-24", "arrival_date": "1986-04-24"}]).issues == []


def test_the_later_duplicate_names_the_earlier_row():
    result = verify(P0101, [row(), row(name="另一人"), row(id_number="３４０４２１１９６６０１２８７９０８")])
    duplicates = [i for i in result.issues if i.rule == "duplicate_in_file"]
    assert [(i.row, i.item) for i in duplicates] == [(3, "id_number"), (4, "id_number")]
    assert duplicates[0].message.startswith("与第 2 行的公民身份号码重复")
    assert list(result.frame["_valid"]) == [True, False, False]


def test_duplicates_are_found_across_chunks_of_one_sheet():
    keys = InFileKeys()
    verify(P0101, [row()], keys=keys, first_row=64)
    later = verify(P0101, [row(name="宋祥德")], keys=keys, first_row=125)
    (issue,) = later.issues
    assert issue.message.startswith("与第 64 行的公民身份号码重复")
    assert keys.size == 1


def test_verifying_the_same_rows_again_is_no_duplicate():
    keys = InFileKeys()
    verify(P0101, [row()], keys=keys)
    assert verify(P0101, [row()], keys=keys).issues == []


def test_a_composite_key_joins_its_items():
    result = verify(OTHERS, [{"code_no": "A1", "floors": "3层"}, {"code_no": "A1", "floors": "3"}])
    assert list(result.frame["_key"]) == ["A1|3", "A1|3"]
    assert [(i.row, i.item, i.rule) for i in result.issues] == [(3, "code_no", "duplicate_in_file")]
    assert "编号、层数" in result.issues[0].message


def test_rows_without_a_usable_key_are_never_duplicates():
    result = verify(P0101, [row(id_number=None), row(id_number=None)])
    assert {i.rule for i in result.issues} == {"required"}


def test_corrections_are_counted_by_item_and_kind_and_the_sample_is_capped():
    rows = [row(name=f" 张{i} ", sex="女性", phone="139-0903-0110") for i in range(30)]
    for i, r in enumerate(rows):
        r["id_number"] = None if i else r["id_number"]
    result = verify(P0101, rows, max_corrections_kept=10)
    assert result.correction_counts[("name", "whitespace")] == 30
    assert result.correction_counts[("phone", "phone_format")] == 30
    assert ("sex", "code_label") not in result.correction_counts  # the standard label is no correction
    assert len(result.corrections) == 10
    first = result.corrections[0]
    assert (first.row, first.item, first.kind, first.old, first.new) == (2, "name", "whitespace", " 张0 ", "张0")


def test_a_code_correction_shows_the_label():
    result = verify(P0101, [row(education="本科")])
    (correction,) = [c for c in result.corrections if c.item == "education"]
    assert (correction.old, correction.new, correction.kind) == ("本科", "大学本科", "code_label")
    assert result.frame["education"].iloc[0] == "20"


def test_the_frame_holds_only_the_items_present_plus_bookkeeping_columns():
    result = verify(P0101, [{"name": "张三", "id_number": "340421196601287908"}])
    assert list(result.frame.columns) == ["name", "id_number", "_row", "_valid", "_key"]


def test_invalid_cells_keep_the_text_as_written():
    result = verify(P0101, [row(birth_date="1990-13-45", phone=" abc ")])
    assert result.frame["birth_date"].iloc[0] == "1990-13-45"
    assert result.frame["phone"].iloc[0] == " abc "


def test_booleans_and_numbers_in_the_frame():
    result = verify(OTHERS, [{"code_no": "A1", "is_rented": "是", "floors": "12", "floor_area": "88.50"}])
    record = result.frame.iloc[0]
    assert record["is_rented"] is True
    assert (record["floors"], record["floor_area"]) == ("12", "88.5")


def test_a_chunk_keeps_the_index_of_the_raw_frame():
    raw = raw_frame([row(), row(id_number="222401195709185975", sex="男", birth_date=None)])
    raw.index = [10, 11]
    result = verify_chunk(raw, P0101, {}, keys=InFileKeys(), today=TODAY)
    assert list(result.frame.index) == [10, 11]
    assert result.issues == []


def test_nan_cells_from_a_string_frame_count_as_empty():
    raw = raw_frame([row(phone=None)]).astype({"phone": "str"})
    assert raw["phone"].isna().all()
    result = verify_chunk(raw, P0101, {}, keys=InFileKeys(), today=TODAY)
    assert result.issues == []
    assert result.frame["phone"].iloc[0] is None


def test_a_large_chunk_is_checked_column_wise(benchmark_rows=20_000):
    rows = [row(name=f"人{i}", id_number=None) for i in range(benchmark_rows)]
    result = verify(P0101, rows)
    assert int(np.sum(result.frame["_valid"])) == 0
    assert len(result.issues) == benchmark_rows


def test_columns_that_are_entirely_empty_are_fine_for_every_type():
    rows = [{item.key: None for item in OTHERS.items}, {item.key: "" for item in OTHERS.items}]
    result = verify(OTHERS, rows)
    assert [(i.item, i.rule) for i in result.issues] == [("code_no", "required"), ("code_no", "required")]
    assert result.frame.drop(columns=["_row", "_valid", "_key"]).isna().all().all()


def test_an_empty_chunk_gives_an_empty_frame():
    raw = raw_frame([row()]).iloc[0:0]
    result = verify_chunk(raw, P0101, {}, keys=InFileKeys(), today=TODAY)
    assert result.rows == 0
    assert result.issues == []
    assert "_valid" in result.frame


def test_normalised_values_fed_back_as_cells_stay_the_same_and_need_no_correction():
    messy = [
        row(name=" 于克波 ", sex="女", id_number="37068120031122656x", birth_date="2003年11月22日", phone="+86 157"),
        row(id_number="222401195709185975", sex="1", birth_date="21081", phone="0535 6212345", education="本科"),
    ]
    first = verify(P0101, messy)
    again_rows = [
        {k: ("是" if v is True else "否" if v is False else v) for k, v in record.items() if not k.startswith("_")}
        for record in first.frame.to_dict("records")
    ]
    again = verify(P0101, again_rows)
    assert again.frame.drop(columns=["_row"]).equals(first.frame.drop(columns=["_row"]))
    assert not again.correction_counts


def test_the_key_register_names_the_first_row_within_and_across_chunks():
    keys = InFileKeys()
    first = keys.register(np.array(["a", None, "b", "a", "a"], dtype=object), np.array([2, 3, 4, 5, 6]))
    second = keys.register(np.array(["b", "c", "c", None], dtype=object), np.array([7, 8, 9, 10]))
    assert list(first) == [0, 0, 0, 2, 2]
    assert list(second) == [4, 0, 8, 0]
    assert (keys.size, keys.first_row("c")) == (3, 8)


def test_an_item_without_a_header_is_named_by_its_chinese_name():
    result = verify_chunk(raw_frame([row(phone="abc")]), P0101, {}, keys=InFileKeys(), today=TODAY)
    assert result.issues[0].column == "联系电话"
