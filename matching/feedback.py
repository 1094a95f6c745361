"""The township's feedback on a work-list entry: 属实, 不属实 (with the fact that makes it so) or 已办理, a note,
who and when. A 不属实 whose fact is base data (已死亡, 出生日期有误) starts the usual correction path: a one-row
correction batch (collection.corrections) verified by the pipeline and reviewed by the officers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from collection.corrections import submit_correction
from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb

from .choices import FEEDBACK_STATUSES, EntryStatus
from .models import EntryEvent, Fact, WorkEntry

MAX_NOTE = 2000


def facts_for(entry: WorkEntry) -> list[Fact]:
    """The facts a township may report for this entry's rule (its `feedback` list), in their order."""
    codes = entry.rule.definition.get("feedback")
    facts = Fact.objects.all() if codes is None else Fact.objects.filter(code__in=codes)
    return list(facts.order_by("order", "code"))


def correction_target(entry: WorkEntry, fact: Fact) -> str:
    """The subcategory a fact's correction goes to ("subject": the rule's subject subcategory)."""
    return entry.rule.subject.code if fact.correction_subcategory == Fact.SUBJECT else fact.correction_subcategory


def correction_values(entry: WorkEntry, fact: Fact, entered: dict) -> dict:
    """The correction row: the subject record's values for the target's items, then what the township entered."""
    from catalog.specs_build import build_table_spec

    target = build_table_spec(correction_target(entry, fact))
    current = entry.record.values if entry.record_id else {}
    values = {item.key: current.get(item.key) for item in target.items if current.get(item.key) not in (None, "")}
    return values | {k: v for k, v in entered.items() if k in fact.ask_items}


def _check(entry: WorkEntry, status: str, fact: Fact | None, entered: dict, acting_user) -> None:
    if not can(acting_user, Action.HANDLE_ENTRIES, entry.place_id):
        raise PermissionDenied("只有该条目所在乡镇（街道）、村（社区）或网格的采集员、网格员可以核实该名单条目。")
    if entry.closed_at is not None:
        raise ValidationError("该条目已关闭（数据变化不再符合），无需核实。")
    if status not in FEEDBACK_STATUSES:
        raise ValidationError("请选择核实结果：属实、不属实或已办理。")
    if status == EntryStatus.REFUTED and fact is None:
        raise ValidationError("选择“不属实”时，请选择不属实的原因。")
    if fact is not None and fact.code not in {f.code for f in facts_for(entry)}:
        raise ValidationError(f"“{fact.label}”不是该规则可选的原因。")
    missing = [k for k in (fact.ask_items if fact and status == EntryStatus.REFUTED else []) if not entered.get(k)]
    if missing:
        raise ValidationError(f"“{fact.label}”需要填写：{'、'.join(missing)}。")


@transaction.atomic
def give_feedback(entry: WorkEntry, *, status: str, acting_user, fact: Fact | None = None, note: str = "",
                  entered: dict | None = None) -> WorkEntry:  # fmt: skip
    """Record the township's finding on `entry`; a 不属实 fact that is base data submits its correction for review.

    entered: the values the fact asks for (e.g. {"death_date": "2026-05-01"}). Raises PermissionDenied outside the
    user's township and ValidationError (Chinese) for an incomplete finding."""
    entry = (
        WorkEntry.objects.unrestricted("feedback: lock the entry the caller authorised")
        .select_for_update(of=("self",))
        .select_related("rule__subject", "record")
        .get(pk=entry.pk)
    )
    before, entered = entry.status, entered or {}
    fact = fact if status == EntryStatus.REFUTED else None
    _check(entry, status, fact, entered, acting_user)
    batch = None
    if fact is not None and fact.corrects_base_data:
        reason = f"名单核实 {entry.rule.name}：{fact.label}"
        batch = submit_correction(
            correction_target(entry, fact), entry.region_id, correction_values(entry, fact, entered),
            acting_user=acting_user, reason=reason, place=entry.place_id,
        )  # fmt: skip
    entry.status, entry.fact, entry.note = status, fact, note.strip()[:MAX_NOTE]
    entry.handled_by, entry.handled_at = acting_user, timezone.now()
    entry.correction_batch = batch or (entry.correction_batch if fact is not None else None)
    entry.save(update_fields=["status", "fact", "note", "handled_by", "handled_at", "correction_batch"])
    EntryEvent.objects.create(
        entry=entry, status=status, fact=fact, note=entry.note, correction_batch=batch, acting_user=acting_user
    )
    # The finding, never the values entered (a date of death, a name): those go through the correction's review.
    record_event(
        AuditVerb.WORK_ENTRY, actor=acting_user, obj=entry, region=entry.place_id,
        label=f"名单条目 {entry.pk}（规则 {entry.rule.code}）", before={"status": before},
        after={"status": status, "fact": fact.code if fact else None, "correction_batch": getattr(batch, "pk", None)},
    )  # fmt: skip
    return entry
