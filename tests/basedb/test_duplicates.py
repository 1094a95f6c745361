"""Probable duplicates for a subcategory keyed by name + date + address (S0105 入户走访记录)."""

import pytest

from basedb.duplicates import WeakKey, flag_probable_duplicates, weak_key_items
from basedb.merge import merge_batch
from catalog.spec import ADDRESS_ROLE, DATE, NAME_ROLE, TEXT, ItemSpec, TableSpec
from catalog.specs_build import build_table_spec
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


def test_only_composite_keys_with_a_name_are_weak(db):
    assert weak_key_items(build_table_spec("P0101")) is None  # id_number
    assert weak_key_items(build_table_spec("P0303")) is None  # id_number + relief_date
    assert weak_key_items(build_table_spec("S0105")) == WeakKey("party_name", ("visit_date",), ("address",))


def test_a_new_subcategory_is_weak_through_its_elements_roles_alone():
    items = (ItemSpec("shop_title", "店名", (), TEXT, roles=(NAME_ROLE,)), ItemSpec("opened_on", "开业日期", (), DATE),
             ItemSpec("shop_site", "店址", (), TEXT, roles=(ADDRESS_ROLE,)))  # fmt: skip
    spec = TableSpec("Z9901", "新子类", "object", "1", items, key_items=("shop_title", "opened_on", "shop_site"))
    assert weak_key_items(spec) == WeakKey("shop_title", ("opened_on",), ("shop_site",))


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
