"""The value side against the shared sample workbooks and the real catalog: every seeded error is found with an
accepted rule, and every clean row stays clean (the file side's reading is imitated by tests/collection/sample_rows)."""

import datetime
import json

import pytest

from collection.pipeline.types import DUPLICATE_IN_FILE, ERROR
from collection.pipeline.verify import InFileKeys, verify_chunk
from tests.collection.sample_rows import DATA, raw_chunk

EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
REFERENCE_DATE = datetime.date.fromisoformat(EXPECTED["reference_date"])
CASES = {
    case["file"]: case
    for case in EXPECTED["files"]
    if case["args"]["subcategory"] and not case["expect"].get("json_list")
}


def run_sample(case, specs, chunk_size: int | None = None):
    expect = case["expect"]
    spec = specs[expect["subcategory"]]
    raw, headers, indexes = raw_chunk(case["file"], spec, expect.get("header_row", 1))
    keys = InFileKeys()
    step = chunk_size or len(raw)
    chunks = [
        verify_chunk(raw.iloc[i : i + step], spec, headers, keys=keys, today=REFERENCE_DATE, column_indexes=indexes)
        for i in range(0, len(raw), step)
    ]
    return raw, chunks


def within(count: int, expected) -> bool:
    return expected[0] <= count <= expected[1] if isinstance(expected, list) else count == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_seeded_error_is_reported_and_clean_rows_stay_clean(specs, name):
    expect = CASES[name]["expect"]
    raw, chunks = run_sample(CASES[name], specs)
    issues = [issue for chunk in chunks for issue in chunk.issues if issue.severity == ERROR]
    for error in expect["errors"]:
        found = [i for i in issues if i.row == error["row"] and i.item in error["items"] and i.rule in error["rules"]]
        assert found, f"row {error['row']} {error['defect']}: {[i for i in issues if i.row == error['row']]}"
    dirty = {issue.row for issue in issues}
    assert not dirty & set(expect.get("clean_rows", [])), [i for i in issues if i.row in expect["clean_rows"]]
    valid = sum(int(chunk.frame["_valid"].sum()) for chunk in chunks)
    assert len(raw) == expect["rows"]
    if "valid" in expect:
        assert within(valid, expect["valid"])
        assert within(len(raw) - valid, expect["invalid"])
    duplicates = [i for i in issues if i.rule == DUPLICATE_IN_FILE]
    assert within(len(duplicates), expect["duplicates_in_file"])


@pytest.mark.parametrize("name", ["sample_p0101_messy.xlsx", "sample_p0101_gbk.csv", "sample_h0101_houses.xlsx"])
def test_chunking_does_not_change_the_findings(specs, name):
    _, whole = run_sample(CASES[name], specs)
    _, chunked = run_sample(CASES[name], specs, chunk_size=7)
    assert [i for c in chunked for i in c.issues] == whole[0].issues
    assert sum((c.correction_counts for c in chunked), start=type(whole[0].correction_counts)()) == (
        whole[0].correction_counts
    )


def test_messy_sample_keys_ids_as_normalised_numbers(specs):
    _, (chunk,) = run_sample(CASES["sample_p0101_messy.xlsx"], specs)
    frame = chunk.frame.set_index("_row")
    assert frame.loc[27, "id_number"] == "222401196607267106"  # full-width digits
    assert frame.loc[56, "id_number"] == "37060219880929429X"  # lower-case x
    assert frame.loc[33, "birth_date"] == "1953-09-11"  # Excel serial number
    assert frame.loc[22, "birth_date"] == "1942-05-22"  # 1942年5月22日
    assert frame.loc[47, "phone"] == "15788365154"  # +86 prefix
    assert frame.loc[67, "phone"] == "0535-6212345"  # landline kept canonical
    assert frame.loc[34, "name"] == "于克波"


def test_formula_like_remarks_are_kept_verbatim(specs):
    case = CASES["sample_formula_text.xlsx"]
    _, (chunk,) = run_sample(case, specs)
    frame = chunk.frame.set_index("_row")
    for expected in case["expect"]["verbatim"]:
        assert frame.loc[expected["row"], expected["item"]] == expected["value"]
