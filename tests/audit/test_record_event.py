"""regions.audit.record_event: the actor (user, API client, command line, worker), the object, the region, and no
personal identifier in what is stored."""

import pytest

from regions.audit import command_line, record_event, scrub
from regions.choices import ActorKind, AuditVerb
from regions.models import AuditEvent, Region
from tests.conftest import TOWNSHIP_A

pytestmark = pytest.mark.usefixtures("regions")
ID_NUMBER, PHONE = "370602199001011234", "13812345678"


def test_an_event_of_a_user_names_the_user_the_object_and_the_region(collector_a):
    region = Region.objects.get(pk=TOWNSHIP_A)
    event = record_event(AuditVerb.UPLOAD, actor=collector_a, obj=region, region=TOWNSHIP_A, after={"rows": 3})
    event.refresh_from_db()
    assert (event.actor_kind, event.actor_user, event.actor_label) == (ActorKind.USER, collector_a, "collector_a")
    assert (event.object_type, event.object_id, event.region_id) == ("regions.region", TOWNSHIP_A, TOWNSHIP_A)
    assert event.after == {"rows": 3} and event.command == ""


def test_the_default_label_is_the_models_name_and_id_never_its_text(collector_a):
    event = record_event(AuditVerb.UPLOAD, actor=collector_a, obj=Region.objects.get(pk=TOWNSHIP_A))
    assert event.object_label == f"行政区划 {TOWNSHIP_A}"


def test_id_numbers_and_phones_are_masked_in_labels_summaries_and_notes(collector_a):
    event = record_event(
        AuditVerb.FIX_CELL, actor=collector_a, object_type="x", object_id=1, label=f"张三 {ID_NUMBER}",
        before={"value": ID_NUMBER, "list": [PHONE]}, after={"text": f"电话{PHONE}。"}, note=f"身份证 {ID_NUMBER}",
    )  # fmt: skip
    event.refresh_from_db()
    stored = f"{event.object_label}{event.before}{event.after}{event.note}"
    assert ID_NUMBER not in stored and PHONE not in stored
    assert event.before == {"value": "370602********1234", "list": ["138****5678"]}


def test_region_codes_are_not_taken_for_phone_numbers():
    assert scrub("370602002 370602002901001 3706") == "370602002 370602002901001 3706"


def test_a_platform_wide_change_is_recorded_at_the_city(platform_admin):
    assert record_event(AuditVerb.CHANGE_CATALOG, actor=platform_admin, object_type="catalog").region_id == "3706"


def test_without_a_user_inside_a_command_line_the_actor_is_the_os_user_and_the_command():
    with command_line(["manage.py", "revert_batch", "7", ID_NUMBER]):
        event = record_event(AuditVerb.REVERT, actor=None, object_type="collection.batch", object_id=7)
    assert event.actor_kind == ActorKind.CLI and event.actor_label.endswith("（命令行）")
    assert event.command == "manage.py revert_batch 7 370602********1234"


def test_a_user_acting_from_the_command_line_keeps_the_command_too(officer_a):
    with command_line(["manage.py", "revert_batch", "7", "--user", "officer_a"]):
        event = record_event(AuditVerb.REVERT, actor=officer_a, object_type="collection.batch", object_id=7)
    assert (event.actor_kind, event.actor_user, event.command) == (
        ActorKind.USER, officer_a, "manage.py revert_batch 7 --user officer_a",
    )  # fmt: skip


def test_without_a_user_outside_a_command_the_actor_is_the_background_worker():
    event = record_event(AuditVerb.MERGE, actor=None, object_type="collection.batch", object_id=7)
    assert (event.actor_kind, event.actor_label) == (ActorKind.SYSTEM, "后台任务")


def test_an_api_client_principal_is_recorded_as_the_client():
    class Client:
        pk, name = 42, "市医保局接口"

    class Principal:
        api_client = Client()

    event = record_event(AuditVerb.REVEAL, actor=Principal(), object_type="basedb.entity", object_id="e1")
    assert (event.actor_kind, event.actor_client_id, event.actor_label) == (ActorKind.CLIENT, 42, "市医保局接口")
    assert AuditEvent.objects.get(pk=event.pk).actor_user is None


def test_a_reveal_names_the_items_and_the_reason_but_no_value(officer_a):
    from regions.audit import record_reveal

    region = Region.objects.get(pk=TOWNSHIP_A)
    event = record_reveal(officer_a, region, region=TOWNSHIP_A, items={"phone", "id_number"}, reason="核实身份",
                          object_id="e-7f3a")  # fmt: skip
    assert (event.verb, event.actor_user, event.region_id) == ("reveal", officer_a, TOWNSHIP_A)
    assert event.object_id == "e-7f3a"
    assert event.after == {"items": ["id_number", "phone"]} and event.note == "核实身份"
