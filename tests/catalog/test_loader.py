"""load_catalog: validation with clear errors, bulk upsert, idempotence, retirement, versions."""

from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.loader import load_catalog
from catalog.models import CatalogVersion, CodeValue, DataElement, DataItem, Subcategory
from catalog.source import CatalogSourceError

from .conftest import SMALL, write_source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalog")]


def errors_for(tmp_path: Path, **overrides: str) -> list[str]:
    files = {**SMALL, **{name.replace("__", "/").replace("_yaml", ".yaml"): text for name, text in overrides.items()}}
    root = write_source(tmp_path / "bad", files)
    with pytest.raises(CatalogSourceError) as exc:
        load_catalog(root)
    return exc.value.errors


def test_it_loads_a_small_catalog_and_reports_what_it_added(small_source):
    report = load_catalog(small_source)
    assert report.kinds["subcategories"].added == 3
    assert report.kinds["items"].added == 4 + 3 + 5
    assert report.kinds["code_values"].added == 4
    assert report.version_created
    assert [i.element.key for i in Subcategory.objects.get(code="P0101").items.order_by("order")] == [
        "name",
        "id_number",
        "sex",
        "birth_date",
    ]


def test_a_second_run_reports_no_change_and_creates_no_version(small_source):
    load_catalog(small_source)
    report = load_catalog(small_source)
    assert not report.changed
    assert all(not k.any for k in report.kinds.values())
    assert CatalogVersion.objects.count() == 1


def test_dry_run_writes_nothing(small_source):
    report = load_catalog(small_source, dry_run=True)
    assert report.kinds["subcategories"].added == 3
    assert not Subcategory.objects.exists()
    assert not CatalogVersion.objects.exists()


def test_a_changed_rule_updates_the_element_and_records_a_new_version(small_source):
    load_catalog(small_source)
    elements = (small_source / "elements.yaml").read_text(encoding="utf-8")
    (small_source / "elements.yaml").write_text(elements.replace("max: 200", "max: 300"), encoding="utf-8")
    report = load_catalog(small_source)
    assert report.kinds["elements"].changed == 1
    assert DataElement.objects.get(key="floors").rules == {"min": 1, "max": 300}
    assert CatalogVersion.objects.count() == 2
    assert CatalogVersion.objects.get(is_current=True).content_hash == report.content_hash
    assert any("版本号" in w for w in report.warnings)


def test_a_removed_subcategory_is_retired_and_keeps_its_items(small_source):
    load_catalog(small_source)
    text = (small_source / "domains/P.yaml").read_text(encoding="utf-8")
    (small_source / "domains/P.yaml").write_text(text[: text.index("      - code: P0102")], encoding="utf-8")
    report = load_catalog(small_source)
    assert report.kinds["subcategories"].retired == 1
    retired = Subcategory.objects.get(code="P0102")
    assert not retired.is_active
    assert retired.items.count() == 3


def test_a_returning_subcategory_is_reactivated(small_source):
    load_catalog(small_source)
    Subcategory.objects.filter(code="P0102").update(is_active=False)
    report = load_catalog(small_source)
    assert report.kinds["subcategories"].changed == 1
    assert Subcategory.objects.get(code="P0102").is_active


def test_a_removed_item_and_code_value_are_removed(small_source):
    load_catalog(small_source)
    text = (small_source / "domains/P.yaml").read_text(encoding="utf-8")
    (small_source / "domains/P.yaml").write_text(text.replace(" sex*,", ""), encoding="utf-8")
    tables = (small_source / "code_tables.yaml").read_text(encoding="utf-8")
    (small_source / "code_tables.yaml").write_text(tables.replace('- {code: "20", label: 商业}', ""), encoding="utf-8")
    report = load_catalog(small_source)
    assert report.kinds["items"].retired == 1
    assert report.kinds["code_values"].retired == 1
    assert not DataItem.objects.filter(subcategory__code="P0101", element__key="sex").exists()
    assert not CodeValue.objects.filter(table__code="USE", code="20").exists()


def test_the_cross_rule_on_a_removed_item_is_an_error(tmp_path):
    errors = errors_for(tmp_path, domains__P_yaml=SMALL["domains/P.yaml"].replace(", birth_date]", "]"))
    assert any("P0101" in e and "birth_date" in e and "跨字段规则" in e for e in errors)


def test_an_unknown_element_is_named_with_its_file_and_subcategory(tmp_path):
    errors = errors_for(tmp_path, domains__H_yaml=SMALL["domains/H.yaml"].replace("- house_use", "- house_usage"))
    assert errors == ["domains/H.yaml 子类 H0101 第3个数据项：未知的数据元 'house_usage'"]


def test_an_unknown_code_table_and_bad_type_are_reported_together(tmp_path):
    elements = SMALL["elements.yaml"].replace("code_table: USE", "code_table: USAGE").replace("type: date", "type: day")
    errors = errors_for(tmp_path, elements_yaml=elements)
    assert any("elements.yaml" in e and "house_use" in e and "未知的代码表 USAGE" in e for e in errors)
    assert any("birth_date" in e and "未知的数据类型 'day'" in e for e in errors)


def test_duplicate_codes_are_errors(tmp_path):
    tables = SMALL["code_tables.yaml"].replace('{code: "2", label: 女性', '{code: "1", label: 女性')
    h = SMALL["domains/H.yaml"].replace("code: H0101", "code: P0101")
    errors = errors_for(tmp_path, code_tables_yaml=tables, domains__H_yaml=h)
    assert any("SEX" in e and "代码值 1 重复" in e for e in errors)
    assert any("子类代码 P0101 重复" in e for e in errors)


def test_a_written_form_meaning_two_codes_is_an_error(tmp_path):
    tables = SMALL["code_tables.yaml"].replace("aliases: [女]", "aliases: [男]")
    errors = errors_for(tmp_path, code_tables_yaml=tables)
    assert errors == ["code_tables.yaml 第1个代码表（SEX）：写法“男”同时对应代码 1 和 2"]


def test_key_items_must_be_items_of_the_subcategory(tmp_path):
    errors = errors_for(tmp_path, domains__H_yaml=SMALL["domains/H.yaml"].replace("key: [house_code]", "key: [uscc]"))
    assert errors == ["domains/H.yaml 子类 H0101：主键数据项 uscc 不在本子类的数据项中"]


def test_unknown_rules_and_bad_patterns_are_errors(tmp_path):
    elements = SMALL["elements.yaml"].replace("{max_length: 50}", "{max_len: 50, pattern: '[a-'}")
    errors = errors_for(tmp_path, elements_yaml=elements)
    assert any("未知的规则 max_len" in e for e in errors)
    assert any("pattern 不是有效的正则表达式" in e for e in errors)


def test_a_yaml_syntax_error_names_the_file(tmp_path):
    errors = errors_for(tmp_path, elements_yaml="- {key: name, name: [")
    assert errors[0].startswith("elements.yaml：YAML 格式错误")


def test_an_invalid_source_writes_nothing(tmp_path):
    errors_for(tmp_path, elements_yaml=SMALL["elements.yaml"].replace("type: integer", "type: int"))
    assert not DataElement.objects.exists()


def test_the_command_reports_in_chinese_and_fails_on_errors(small_source, tmp_path, capsys):
    call_command("load_catalog", "--path", str(small_source))
    assert "子类：新增 3，变更 0，停用/移除 0" in capsys.readouterr().out
    call_command("load_catalog", "--path", str(small_source))
    assert "目录无变化" in capsys.readouterr().out
    with pytest.raises(Exception, match="目录源文件有 1 处错误"):
        call_command("load_catalog", "--path", str(tmp_path / "missing"))


def test_an_unquoted_numeric_code_is_a_warning(tmp_path):
    tables = SMALL["code_tables.yaml"].replace('{code: "10", label: 住宅}', "{code: 10, label: 住宅}")
    report = load_catalog(write_source(tmp_path / "c", {**SMALL, "code_tables.yaml": tables}))
    assert any("代码 10 未加引号" in w for w in report.warnings)
    assert CodeValue.objects.filter(table__code="USE", code="10").exists()
