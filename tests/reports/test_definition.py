"""The form language and its loading: every problem in Chinese naming its place, the shipped forms valid, loading
idempotent and versioned, web edits kept unless forced."""

import io
import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from reports.definition import AVG, COUNT, SUM, FormInvalid, parse_form
from reports.loader import FORMS_DIR, load_reports
from reports.models import ReportForm

pytestmark = pytest.mark.django_db


def form(**fields) -> dict:
    base = {"code": "test_form", "title": "测试表", "department": "测试局", "subject": "P0101",
            "columns": [{"code": "total", "label": "合计"}]}  # fmt: skip
    return base | fields


def errors_of(data: dict, specs) -> list[str]:
    with pytest.raises(FormInvalid) as caught:
        parse_form(data, specs=specs)
    return caught.value.errors


def test_a_column_counts_by_default_and_sums_or_averages_a_numeric_item(specs):
    definition = parse_form(form(subject="H0101", unit="处", columns=[
        {"code": "n", "label": "房屋"}, {"code": "area", "label": "面积", "sum": "floor_area"},
        {"code": "mean", "label": "平均面积", "avg": "floor_area", "decimals": 1},
    ]), specs=specs)  # fmt: skip
    n, area, mean = definition.columns
    assert (n.measure, n.unit, n.decimals) == (COUNT, "处", 0)
    assert (area.measure, area.item, area.decimals) == (SUM, "floor_area", 2)
    assert (mean.measure, mean.decimals) == (AVG, 1)


def test_column_conditions_are_the_rule_language(specs):
    definition = parse_form(form(columns=[{"code": "old", "label": "老人", "when": [{"age": {"gte": 80}}],
                                           "has_none": ["P0305"]}]), specs=specs)  # fmt: skip
    (column,) = definition.columns
    assert column.selection.when[0].years == 80
    assert column.selection.has_none[0].subcategory == "P0305"


def test_every_problem_is_reported_in_chinese_with_its_place(specs):
    errors = errors_of(form(code="Bad", as_of="monthly", columns=[
        {"code": "total", "label": "合计", "sum": "name"},
        {"code": "total", "label": "重复", "subject": "P9999"},
        {"code": "sex", "label": "女性", "when": [{"item": "sex", "eq": "女"}]},
        {"code": "x", "label": "计数", "count": True, "avg": "household_size"},
    ]), specs)  # fmt: skip
    assert any(e.startswith("code：“Bad”不合格") for e in errors)
    assert any(e.startswith("as_of：“monthly”不是可用的统计时点") for e in errors)
    assert "columns 第 1 栏（合计）：sum：数据项 name（姓名）不是数字，不能合计" in errors
    assert "columns 第 2 栏（重复） subject：子类 P9999 不在数据目录中（或已停用）" in errors
    assert any("代码表“性别”中没有代码“女”（“女”对应的代码是 2）" in e for e in errors)
    assert "columns 第 4 栏（计数）：count、sum、avg 只能写一个" in errors
    assert "columns：栏目代码 total 重复" in errors


def test_code_table_rows_need_the_item_in_every_column_subject(specs):
    errors = errors_of(form(rows={"item": "industry"}, subject="E0101", columns=[
        {"code": "a", "label": "企业"}, {"code": "b", "label": "房屋", "subject": "H0101"}]), specs)  # fmt: skip
    assert errors == ["rows：栏目 b 的主体子类 H0101 没有代码数据项 industry，不能按它分行"]


def test_the_shipped_forms_are_valid_and_include_the_pinned_population_overview(specs):
    files = sorted(FORMS_DIR.glob("*.yaml"))
    definitions = {d.code: d for d in (parse_form(yaml.safe_load(f.read_text("utf-8")), specs=specs) for f in files)}
    assert len(definitions) >= 8
    pinned = definitions["population_overview"]
    assert pinned.title == "人口基本情况统计表" and pinned.by_regions
    assert [c.code for c in pinned.columns] == ["total", "male", "female", "age_60_plus", "age_80_plus"]
    assert {c.subject for c in pinned.columns} == {"P0101"}


def test_loading_twice_changes_nothing_and_a_changed_file_is_a_new_version(regions, catalog, tmp_path):
    directory = tmp_path / "reports"
    shutil.copytree(FORMS_DIR, directory)
    first = load_reports(directory)
    assert len(first.created) >= 8 and not load_reports(directory).changed
    path: Path = directory / "population_overview.yaml"
    path.write_text(path.read_text("utf-8").replace("人口基本情况统计表", "人口基本情况统计表（修订）"), "utf-8")
    assert load_reports(directory).updated == ["population_overview"]
    form_ = ReportForm.objects.get(code="population_overview")
    assert form_.version == 2
    assert form_.current_version.changes["title"] == ["人口基本情况统计表", "人口基本情况统计表（修订）"]


def test_load_reports_lists_every_error_and_loads_nothing(regions, catalog, tmp_path):
    (tmp_path / "a.yaml").write_text("code: broken_form\ntitle: 坏表\n", "utf-8")
    (tmp_path / "b.yaml").write_text("code: [oops\n", "utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="报表文件有 3 处错误"):
        call_command("load_reports", "--path", str(tmp_path), stderr=err)
    assert "a.yaml：department：必填" in err.getvalue() and "b.yaml：YAML 格式错误" in err.getvalue()
    assert not ReportForm.objects.exists()
