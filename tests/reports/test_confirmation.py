"""确认上报: a confirmed report is kept as it was, whatever happens to the data or the form later; numbered versions;
the level above sees which children confirmed and the roll-up; only the region's own people confirm."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from basedb.choices import RecordStatus
from basedb.models import Record
from regions.choices import Role
from regions.models import Region
from reports.confirmation import children_of, confirm_report, fingerprint
from reports.filling import fill_report
from reports.formbook import definition_of
from reports.models import ReportForm, Submission
from reports.tables import table_of_submission
from tests.conftest import make_user

from .scenario import AS_OF, COLUMNS, COUNTY_A, COUNTY_ROWS, TOWNSHIP_A, TOWNSHIP_B, Person, build

pytestmark = pytest.mark.django_db


def filled(region: str):
    form = ReportForm.objects.get(code="population_overview")
    return form, fill_report(definition_of(form), Region.objects.get(code=region), AS_OF)


def confirm(region: str, user, **kwargs) -> Submission:
    form, report = filled(region)
    return confirm_report(form, report, acting_user=user, **kwargs)


@pytest.fixture
def collector_a(county):
    return make_user("collector_a", Role.COLLECTOR, TOWNSHIP_A)


def test_a_confirmed_report_stays_as_it_was_when_the_data_changes_later(county, collector_a):
    submission = confirm(TOWNSHIP_A, collector_a, notes={"total|total": "含待核实 1 人"})
    Record.objects.filter(entity__display_name="张一").update(status=RecordStatus.RETIRED)
    build([Person(20, "新人", "2", "1940-01-01")])
    _form, now = filled(TOWNSHIP_A)
    assert now.total.values["total"] == COUNTY_ROWS[TOWNSHIP_A][0]  # one retired, one added
    assert now.total.values["age_80_plus"] == 1 and now.total.values["female"] == 4
    kept = table_of_submission(Submission.objects.get(pk=submission.pk))
    assert tuple(kept.total.values[c] for c in COLUMNS) == COUNTY_ROWS[TOWNSHIP_A]
    assert kept.total.values["female"] == 3
    assert Submission.objects.get(pk=submission.pk).notes == {"total|total": "含待核实 1 人"}


def test_a_confirmed_report_keeps_its_headings_when_the_form_changes(county, collector_a):
    submission = confirm(TOWNSHIP_A, collector_a)
    form = ReportForm.objects.get(code="population_overview")
    form.definition = {**form.definition, "title": "改名后的表"}
    form.save()
    assert table_of_submission(Submission.objects.get(pk=submission.pk)).title == "人口基本情况统计表"


def test_confirming_again_makes_a_new_numbered_version(county, collector_a):
    first, second = confirm(TOWNSHIP_A, collector_a), confirm(TOWNSHIP_A, collector_a)
    assert (first.number, second.number) == (1, 2)
    assert Submission.objects.filter(region_id=TOWNSHIP_A).count() == 2


def test_a_report_whose_data_changed_since_it_was_shown_is_not_confirmed(county, collector_a):
    form, shown = filled(TOWNSHIP_A)
    build([Person(21, "又一人", "1", "1990-01-01")])
    _form, now = filled(TOWNSHIP_A)
    with pytest.raises(ValidationError, match="已有变化"):
        confirm_report(form, now, acting_user=collector_a, shown=fingerprint(shown))
    assert not Submission.objects.exists()


def test_only_notes_of_cells_of_the_report_are_kept(county, collector_a):
    submission = confirm(TOWNSHIP_A, collector_a, notes={"none|male": " 见说明 ", "nowhere|total": "x", "total|x": "y"})
    assert submission.notes == {"none|male": "见说明"}


def test_a_user_of_another_township_or_without_a_role_cannot_confirm(county):
    with pytest.raises(PermissionDenied):
        confirm(TOWNSHIP_A, make_user("collector_b", Role.COLLECTOR, TOWNSHIP_B))
    with pytest.raises(PermissionDenied):
        confirm(TOWNSHIP_A, make_user("catalogue", Role.CATALOG_ADMIN, "3706"))


def test_the_county_sees_which_townships_confirmed_and_their_roll_up(county, collector_a):
    confirm(TOWNSHIP_A, collector_a)
    confirm(TOWNSHIP_A, collector_a)  # the latest version counts once
    officer = make_user("officer_a", Role.OFFICER, COUNTY_A)
    form, report = filled(COUNTY_A)
    children = children_of(Submission.objects.restrict(officer), form, report)
    assert set(children.confirmed) == {TOWNSHIP_A}
    assert children.confirmed[TOWNSHIP_A].number == 2
    assert children.expected == Region.objects.filter(parent_id=COUNTY_A).count()
    assert tuple(children.rollup.values[c] for c in COLUMNS) == COUNTY_ROWS[TOWNSHIP_A]
