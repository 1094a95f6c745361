"""Probable duplicates for a subcategory keyed by name + date + address (S0105 入户走访记录)."""

import pytest

from basedb.duplicates import flag_probable_duplicates, weak_key_items
from basedb.merge import merge_batch
from collection.models import StagedRow
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def visit(name: str, date: str = "2025-03-01", address: str = "芝罘区东山路18号") -> dict:
    return {"party_name": name, "visit_date": date, "address": address}


def keyed_batch(region: str, rows: list[dict]):
    batch = staged_batch(region, rows, subcategory="S0105")
    for staged in StagedRow.objects.filter(batch=batch):
        staged.key = "|".join(staged.values[k] for k in ("party_name", "visit_date", "address"))
        staged.save(update_fields=["key"])
    return batch


def test_only_composite_keys_with_a_name_are_weak():
    assert weak_key_items(["id_number"]) is None
    assert weak_key_items(["id_number", "relief_date"]) is None
    assert weak_key_items(["party_name", "visit_date", "address"]) == ("party_name", ["visit_date"])


def test_a_near_identical_name_at_the_same_address_and_date_is_flagged(officer_a):
    merge_batch(keyed_batch(TOWNSHIP_A, [visit("张三丰"), visit("李四")]), acting_user=officer_a)
    batch = keyed_batch(
        TOWNSHIP_A, [visit("张三峰 "), visit("张三丰", date="2025-04-01"), visit("张大千"), visit("李四")]
    )
    assert flag_probable_duplicates(batch) == 1
    issue = batch.issues.get()
    assert (issue.row, issue.rule, issue.severity) == (2, "conflict", "warning")
    assert issue.message.startswith("疑似重复：与本乡镇已有记录“张三丰”（芝罘区东山路18号）")


def test_records_of_another_township_are_not_compared(officer_a):
    merge_batch(keyed_batch(TOWNSHIP_B, [visit("张三丰")]), acting_user=officer_a)
    assert flag_probable_duplicates(keyed_batch(TOWNSHIP_A, [visit("张三峰")])) == 0
