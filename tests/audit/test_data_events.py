"""Changes to the city-wide data (catalog, matching rules and their grants, report forms) and the township's work
(work-list findings, report confirmations) write their audit events with the actor and the region."""

import io

import pytest
from django.core.management import call_command

from catalog.specs_build import current_specs
from matching.choices import EntryStatus, VersionSource
from matching.definition import parse_rule
from matching.feedback import give_feedback
from matching.grants import grant_rule, revoke_grant
from matching.models import Fact, Rule, WorkEntry
from matching.rulebook import save_rule
from regions.choices import ActorKind, AuditVerb, Role
from regions.models import AuditEvent, Region
from reports.confirmation import confirm_report
from reports.definition import parse_form
from reports.filling import fill_report
from reports.formbook import definition_of, save_form
from reports.models import ReportForm
from tests.conftest import COUNTY_A, make_user
from tests.matching.scenario import evaluate_json
from tests.reports.scenario import AS_OF
from tests.sharing.conftest import make_client

pytestmark = pytest.mark.django_db


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


def test_a_rule_edited_on_the_web_is_recorded_with_the_fields_changed(rules_loaded, platform_admin):
    rule = Rule.objects.get(code="medical_insurance_gap")
    data = rule.definition | {"name": "医保扩面（页面修改）"}
    definition = parse_rule(data, specs=current_specs(), facts=Fact.objects.values_list("code", flat=True))
    AuditEvent.objects.all().delete()  # the load's own events
    save_rule(definition, source=VersionSource.WEB, acting_user=platform_admin, note="改名")
    (event,) = events(AuditVerb.CHANGE_RULE)
    assert (event.actor_user, event.region_id, event.note) == (platform_admin, "3706", "改名")
    assert event.after["changed"] == ["name"] and event.after["version"] == event.before["version"] + 1


def test_loading_rules_from_the_command_line_records_each_new_rule_as_the_command(regions, catalog):
    call_command("load_rules", stdout=io.StringIO())
    loaded = events(AuditVerb.CHANGE_RULE)
    assert len(loaded) == Rule.objects.count() and all(e.actor_kind == ActorKind.CLI for e in loaded)
    assert loaded[0].command == "manage.py load_rules" and loaded[0].before is None


def test_granting_and_revoking_a_rule_to_a_client_is_recorded_in_the_clients_region(rules_loaded, platform_admin):
    client, _token = make_client()
    grant = grant_rule(client, Rule.objects.get(code="medical_insurance_gap"), acting_user=platform_admin)
    revoke_grant(grant, acting_user=platform_admin)
    (granted,) = events(AuditVerb.GRANT_RULE)
    (revoked,) = events(AuditVerb.REVOKE_RULE)
    assert (granted.actor_user, granted.region_id, granted.after) == (
        platform_admin, COUNTY_A, {"rule": "medical_insurance_gap"},
    )  # fmt: skip
    assert revoked.object_id == str(client.pk)


def test_a_work_list_finding_is_recorded_with_the_collector_and_the_place(town, collector_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    evaluate_json()
    entry = WorkEntry.objects.get(rule__code="elderly_allowance_gap", entity__display_name="赵四")
    give_feedback(entry, status=EntryStatus.REFUTED, fact=Fact.objects.get(code="deceased"), acting_user=collector_a,
                  entered={"death_date": "2026-05-20"})  # fmt: skip
    (event,) = events(AuditVerb.WORK_ENTRY)
    assert (event.actor_user, event.region_id) == (collector_a, entry.place_id)
    assert event.before == {"status": EntryStatus.PENDING}
    assert event.after["status"] == "refuted" and event.after["fact"] == "deceased"
    assert "2026-05-20" not in str(event.after) and "赵四" not in event.object_label


def test_a_report_form_edited_on_the_web_is_recorded(forms_loaded, platform_admin):
    form = ReportForm.objects.get(code="population_overview")
    definition = parse_form(form.definition | {"title": "人口概况（修改）"}, specs=current_specs())
    AuditEvent.objects.all().delete()
    save_form(definition, source="web", acting_user=platform_admin)
    (event,) = events(AuditVerb.CHANGE_REPORT_FORM)
    assert (event.actor_user, event.region_id, event.after["changed"]) == (platform_admin, "3706", ["title"])


def test_confirming_a_report_is_recorded_with_the_region_and_the_version(county):
    officer = make_user("officer_county", Role.OFFICER, COUNTY_A)
    form = ReportForm.objects.get(code="population_overview")
    report = fill_report(definition_of(form), Region.objects.get(code=COUNTY_A), AS_OF)
    confirm_report(form, report, acting_user=officer, note="已核对")
    (event,) = events(AuditVerb.CONFIRM_REPORT)
    assert (event.actor_user, event.region_id, event.note) == (officer, COUNTY_A, "已核对")
    assert (event.after["form"], event.after["number"]) == ("population_overview", 1)
    assert event.after["as_of"] == AS_OF.isoformat()


def test_a_catalog_change_loaded_from_the_command_line_is_recorded(real_source_copy):
    (real_source_copy / "elements.yaml").write_text(
        (real_source_copy / "elements.yaml").read_text(encoding="utf-8").replace("name: 姓名", "name: 姓名（全名）", 1),
        encoding="utf-8",
    )
    call_command("load_catalog", "--path", str(real_source_copy), stdout=io.StringIO(), stderr=io.StringIO())
    # (the session's own load of the reference catalog is recorded too, as the worker: no command line)
    (event,) = [e for e in events(AuditVerb.CHANGE_CATALOG) if e.actor_kind == ActorKind.CLI]
    assert event.region_id == "3706"
    assert event.command.startswith("manage.py load_catalog --path=") and event.after["elements"]["changed"] >= 1


def test_loading_an_unchanged_catalog_records_nothing(catalog):
    call_command("load_catalog", stdout=io.StringIO(), stderr=io.StringIO())
    assert not [e for e in events(AuditVerb.CHANGE_CATALOG) if e.actor_kind == ActorKind.CLI]


def test_evaluating_rules_from_the_command_line_records_each_rule_whose_list_changed(town):
    evaluate_json()
    evaluated = events(AuditVerb.EVALUATE_RULE)
    assert evaluated and all(e.actor_kind == ActorKind.CLI and e.region_id == "3706" for e in evaluated)
    assert all(e.after["new"] > 0 for e in evaluated) and evaluated[0].command.startswith("manage.py evaluate_rules")
    evaluate_json()  # nothing changed: nothing more recorded
    assert len(events(AuditVerb.EVALUATE_RULE)) == len(evaluated)
