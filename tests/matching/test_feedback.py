"""Feedback on work-list entries: 属实 / 不属实 with its fact / 已办理; a 不属实 fact that is base data becomes a
correction batch verified by the pipeline and waiting in the officers' review queue."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from collection.choices import BatchStatus
from collection.review import approve_batch
from matching.choices import EntryStatus
from matching.feedback import give_feedback
from matching.incremental import reevaluate_changes
from matching.models import Fact, WorkEntry

from .scenario import AS_OF, evaluate_json, listed

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def entry_of(rule: str, name: str) -> WorkEntry:
    return WorkEntry.objects.get(rule__code=rule, entity__display_name=name)


def test_a_death_reported_from_the_field_waits_for_review_and_closes_the_entry_once_approved(
    town, collector_a, officer_a, media_root, client
):
    evaluate_json()
    entry = entry_of("elderly_allowance_gap", "赵四")
    give_feedback(entry, status=EntryStatus.REFUTED, fact=Fact.objects.get(code="deceased"), acting_user=collector_a,
                  note="家属告知已于五月去世", entered={"death_date": "2026-05-20"})  # fmt: skip
    entry.refresh_from_db()
    batch = entry.correction_batch
    assert (entry.status, entry.fact.code, entry.handled_by) == (EntryStatus.REFUTED, "deceased", collector_a)
    assert (batch.subcategory.code, batch.region_id, batch.status) == (
        "P0106",
        entry.region_id,
        BatchStatus.PENDING_REVIEW,
    )
    assert batch.staged_rows.get().values["death_date"] == "2026-05-20"
    client.force_login(officer_a)
    assert f"/collection/review/{batch.pk}/" in client.get("/collection/review/").content.decode()
    reevaluate_changes(as_of=AS_OF)
    assert (entry.region_id, "赵四") in listed("elderly_allowance_gap"), "nothing is merged before review"
    approve_batch(batch, acting_user=officer_a)
    reevaluate_changes(as_of=AS_OF)
    entry.refresh_from_db()
    assert entry.closed_at is not None and entry.status == EntryStatus.REFUTED


def test_a_wrong_birth_date_is_corrected_in_the_subject_subcategory(town, collector_a, media_root):
    evaluate_json()
    entry = entry_of("elderly_allowance_gap", "赵四")
    give_feedback(entry, status=EntryStatus.REFUTED, fact=Fact.objects.get(code="birth_date_wrong"),
                  acting_user=collector_a, entered={"birth_date": "1951-03-02"})  # fmt: skip
    batch = WorkEntry.objects.get(pk=entry.pk).correction_batch
    assert batch.subcategory.code == "P0101"
    row = batch.staged_rows.get()
    assert row.values["birth_date"] == "1951-03-02"
    assert not row.is_valid, "the pipeline checks the date against the ID number, as for any upload"
    assert batch.status == BatchStatus.NEEDS_FIX


def test_a_fact_that_is_not_base_data_is_only_recorded(town, collector_a):
    evaluate_json()
    entry = entry_of("medical_insurance_gap", "王二")
    give_feedback(entry, status=EntryStatus.REFUTED, fact=Fact.objects.get(code="insured_elsewhere"),
                  acting_user=collector_a, note="在青岛参保")  # fmt: skip
    entry.refresh_from_db()
    assert (entry.fact.code, entry.note, entry.correction_batch) == ("insured_elsewhere", "在青岛参保", None)
    assert [(e.status, e.fact.code) for e in entry.events.all()] == [(EntryStatus.REFUTED, "insured_elsewhere")]


def test_refuted_needs_a_fact_and_the_fact_its_values(town, collector_a):
    evaluate_json()
    entry = entry_of("elderly_allowance_gap", "赵四")
    with pytest.raises(ValidationError, match="请选择不属实的原因"):
        give_feedback(entry, status=EntryStatus.REFUTED, acting_user=collector_a)
    with pytest.raises(ValidationError, match="需要填写：death_date"):
        give_feedback(
            entry, status=EntryStatus.REFUTED, fact=Fact.objects.get(code="deceased"), acting_user=collector_a
        )
    with pytest.raises(ValidationError, match="不是该规则可选的原因"):
        give_feedback(entry, status=EntryStatus.REFUTED, fact=Fact.objects.get(code="already_stopped"),
                      acting_user=collector_a)  # fmt: skip


def test_another_township_and_officers_cannot_give_feedback(town, collector_b, officer_a):
    evaluate_json()
    entry = entry_of("medical_insurance_gap", "王二")
    for user in (collector_b, officer_a):
        with pytest.raises(PermissionDenied):
            give_feedback(entry, status=EntryStatus.CONFIRMED, acting_user=user)


def test_a_closed_entry_takes_no_feedback(town, collector_a):
    evaluate_json()
    entry = entry_of("medical_insurance_gap", "王二")
    WorkEntry.objects.filter(pk=entry.pk).update(closed_at=entry.opened_at)
    with pytest.raises(ValidationError, match="已关闭"):
        give_feedback(entry, status=EntryStatus.DONE, acting_user=collector_a)
