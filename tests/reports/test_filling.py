"""Filling forms from the base database: exact figures for a county and a township, the leftover row, 合计, the
documented JSON of `manage.py fill_report`, sums and averages, rows by code table."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from regions.models import Region
from regions.samples import sample_grid_code
from reports.definition import parse_form
from reports.filling import UNPLACED, fill_report

from .conftest import fill_json
from .scenario import (
    AS_OF,
    COLUMNS,
    COUNTY_A,
    COUNTY_ROWS,
    COUNTY_TOTAL,
    TOWNSHIP_A,
    VILLAGE_1,
    VILLAGE_2,
    merge_keyed,
    values,
)

pytestmark = pytest.mark.django_db


def test_population_overview_for_a_county_has_exact_counts_per_township(county):
    report = fill_json("population_overview", COUNTY_A)
    rows = {r["region"]: values(r) for r in report["rows"]}
    townships = list(Region.objects.filter(parent_id=COUNTY_A).order_by("code").values_list("code", flat=True))
    assert [r["region"] for r in report["rows"]] == [*townships, None]
    assert {code: v for code, v in rows.items() if any(v)} == COUNTY_ROWS
    assert rows[None] == (0, 0, 0, 0, 0)
    assert tuple(report["total"][c] for c in COLUMNS) == COUNTY_TOTAL


def test_the_json_of_fill_report_has_exactly_the_documented_keys(county):
    report = fill_json("population_overview", COUNTY_A)
    assert list(report) == ["form", "region", "as_of", "rows", "total"]
    assert (report["form"], report["region"], report["as_of"]) == ("population_overview", COUNTY_A, "2026-03-31")
    assert all(list(row) == ["region", "name", "values"] for row in report["rows"])
    assert report["rows"][-1] == {"region": None, "name": UNPLACED, "values": dict.fromkeys(COLUMNS, 0)}
    assert list(report["total"]) == list(COLUMNS)


def test_population_overview_for_a_township_rows_its_villages_and_counts_the_unplaced(county):
    report = fill_json("population_overview", TOWNSHIP_A)
    villages = list(Region.objects.filter(parent_id=TOWNSHIP_A).order_by("code").values_list("code", flat=True))
    assert [r["region"] for r in report["rows"]] == [*villages, None]
    assert tuple(report["total"][c] for c in COLUMNS) == COUNTY_ROWS[TOWNSHIP_A]
    by_village = {r["region"]: values(r) for r in report["rows"]}
    # 张一 (80) and 王二 (79) in community 01, 李三 (60, from the ID) and 赵四 in 02, 钱五 (59) without a grid
    assert by_village == {VILLAGE_1: (2, 1, 1, 2, 1), VILLAGE_2: (2, 1, 1, 1, 0), None: (1, 0, 1, 0, 0)}


def test_population_overview_for_a_village_rows_its_grids_with_exact_counts(county):
    report = fill_json("population_overview", VILLAGE_1)
    grids = [sample_grid_code(VILLAGE_1, 1), sample_grid_code(VILLAGE_1, 2)]
    assert [r["region"] for r in report["rows"]] == [*grids, None]
    by_grid = {r["region"]: values(r) for r in report["rows"]}
    assert by_grid == {grids[0]: (1, 1, 0, 1, 1), grids[1]: (1, 0, 1, 1, 0), None: (0, 0, 0, 0, 0)}
    assert tuple(report["total"][c] for c in COLUMNS) == (2, 1, 1, 2, 1)


def test_ages_are_taken_on_the_as_of_date(county):
    the_day_before = fill_json("population_overview", COUNTY_A, as_of=AS_OF.replace(day=30))
    the_day_after = fill_json("population_overview", COUNTY_A, as_of=AS_OF.replace(month=4, day=1))
    assert (the_day_before["total"]["age_80_plus"], the_day_before["total"]["age_60_plus"]) == (1, 3)
    assert (the_day_after["total"]["age_80_plus"], the_day_after["total"]["age_60_plus"]) == (3, 5)


def test_a_form_fills_in_one_grouped_query_per_subject_whatever_the_rows(county, specs):
    definition = parse_form(
        _form(columns=[{"code": "a", "label": "甲"}, {"code": "b", "label": "乙", "subject": "P0102"}]), specs=specs
    )
    region = Region.objects.get(code="3706")
    with CaptureQueriesContext(connection) as queries:
        fill_report(definition, region, AS_OF)
    grouped = [q for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouped) == 2


def test_sums_and_averages_count_only_records_holding_a_number(regions, specs):
    merge_keyed(TOWNSHIP_A, "H0101", "house_code", [
        {"house_code": "H1", "floor_area": "100.5", "house_use": "10"},
        {"house_code": "H2", "floor_area": "49.5", "house_use": "20"},
        {"house_code": "H3", "house_use": "10"},
    ])  # fmt: skip
    definition = parse_form(_form(subject="H0101", columns=[
        {"code": "n", "label": "房屋"}, {"code": "area", "label": "面积", "sum": "floor_area"},
        {"code": "mean", "label": "平均", "avg": "floor_area"},
        {"code": "homes", "label": "住宅面积", "sum": "floor_area", "when": [{"item": "house_use", "eq": "10"}]},
    ]), specs=specs)  # fmt: skip
    report = fill_report(definition, Region.objects.get(code=COUNTY_A), AS_OF)
    assert report.total.values == {"n": 3, "area": 150.0, "mean": 75.0, "homes": 100.5}
    assert report.row(TOWNSHIP_A).parts == {"mean": [150.0, 2]}
    assert report.row("370602001").values["mean"] is None


def test_rows_by_code_table_count_each_code_and_put_unknown_codes_last(regions, specs):
    merge_keyed(TOWNSHIP_A, "E0101", "uscc", [
        {"uscc": "91370602MA3C000001", "enterprise_name": "甲公司", "industry": "C", "employees": "10"},
        {"uscc": "91370602MA3C000002", "enterprise_name": "乙公司", "industry": "C", "employees": "5"},
        {"uscc": "91370602MA3C000003", "enterprise_name": "丙公司", "industry": "F"},
        {"uscc": "91370602MA3C000004", "enterprise_name": "丁公司"},
    ])  # fmt: skip
    load = io.StringIO()
    call_command("load_reports", stdout=load)
    report = fill_json("market_entities_by_industry", "3706")
    rows = {r["code"]: r["values"] for r in report["rows"]}
    assert [r["code"] for r in report["rows"]][:3] == ["A", "B", "C"]
    assert (rows["C"]["enterprises"], rows["C"]["enterprise_employees"]) == (2, 15)
    assert (rows["F"]["enterprises"], rows[None]["enterprises"]) == (1, 1)
    assert report["total"]["enterprises"] == 4


def test_fill_report_writes_the_official_workbook(county, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "report.xlsx"
    call_command("fill_report", "population_overview", "--region", COUNTY_A, "--as-of", "2026-03-31",
                 "-o", str(target), stdout=io.StringIO())  # fmt: skip
    sheet = load_workbook(target).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert sheet["A1"].value == "人口基本情况统计表"
    assert "填报单位：芝罘区（370602）" in cells
    assert "统计时点：2026年3月31日" in cells and "计量单位：人" in cells
    assert any(str(c).startswith("单位负责人：") and "审核人：" in c and "制表人：" in c for c in cells)
    total_row = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "合计")
    assert tuple(total_row[2:7]) == COUNTY_TOTAL


def test_fill_report_refuses_an_unknown_form_or_region_in_chinese(forms_loaded):
    with pytest.raises(CommandError, match="报表 no_such_form 不存在"):
        call_command("fill_report", "no_such_form", "--region", COUNTY_A)
    with pytest.raises(CommandError, match="区划 999999 不存在"):
        call_command("fill_report", "population_overview", "--region", "999999")


def _form(**fields) -> dict:
    return {"code": "test_form", "title": "测试表", "department": "测试局", "subject": "P0101"} | fields
