"""Drill-down: the records behind a number are exactly those counted, cell by cell, and a reader sees only those
of their own regions."""

import pytest

from regions.choices import Action, Role
from regions.models import Region
from reports.drilldown import UnknownCell, cell_records
from reports.filling import fill_report
from reports.formbook import definition_of
from reports.models import ReportForm
from reports.tables import row_key
from tests.conftest import make_user

from .scenario import AS_OF, COUNTY_A, TOWNSHIP_A, TOWNSHIP_B

pytestmark = pytest.mark.django_db


def filled(region: str):
    definition = definition_of(ReportForm.objects.get(code="population_overview"))
    return definition, fill_report(definition, Region.objects.get(code=region), AS_OF)


@pytest.mark.parametrize("region", [COUNTY_A, TOWNSHIP_A, "3706"])
def test_every_cell_lists_as_many_records_as_it_counts(county, region):
    definition, report = filled(region)
    for row in [*report.rows, report.total]:
        for column in definition.columns:
            records = cell_records(definition, report.region, AS_OF, column.code, row_key(row))
            assert records.count() == row.values[column.code], (row.name, column.code)


def test_the_records_of_a_cell_are_the_people_counted(county):
    definition, report = filled(COUNTY_A)
    region = report.region
    names = lambda column, row: set(  # noqa: E731
        cell_records(definition, region, AS_OF, column, row).values_list("entity__display_name", flat=True)
    )
    assert names("age_80_plus", TOWNSHIP_A) == {"张一"}
    assert names("age_60_plus", TOWNSHIP_A) == {"张一", "王二", "李三"}
    assert names("female", "total") == {"王二", "李三", "钱五", "周七"}
    assert names("total", TOWNSHIP_B) == {"周七"}


@pytest.mark.parametrize("region", [COUNTY_A, TOWNSHIP_A])
def test_the_rows_and_the_leftover_row_split_the_total_without_overlap(county, region):
    definition, report = filled(region)

    def ids(row: str) -> set[int]:
        return set(cell_records(definition, report.region, AS_OF, "total", row).values_list("id", flat=True))

    parts = [ids(row_key(row)) for row in report.rows]
    assert sum(len(p) for p in parts) == len(set().union(*parts))
    assert set().union(*parts) == ids("total")


def test_an_unknown_row_or_column_is_refused(county):
    definition, report = filled(COUNTY_A)
    with pytest.raises(UnknownCell):
        cell_records(definition, report.region, AS_OF, "no_such_column", "total")
    with pytest.raises(UnknownCell):
        cell_records(definition, report.region, AS_OF, "total", "370611001")


def test_a_reader_sees_only_the_counted_records_of_their_own_regions(county):
    definition, report = filled(COUNTY_A)
    collector_b = make_user("reader_b", Role.COLLECTOR, TOWNSHIP_B)
    records = cell_records(definition, report.region, AS_OF, "female", "total")
    visible = records.restrict(collector_b, Action.VIEW)
    assert set(visible.values_list("entity__display_name", flat=True)) == {"周七"}
