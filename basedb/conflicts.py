"""Resolving cross-township conflicts: a data officer whose region covers both townships decides, and the decision
is recorded in the record's history (a RecordVersion with action `resolve`)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from collection.choices import MergeState
from collection.models import StagedRow
from regions.access import can
from regions.audit import record_event
from regions.choices import Action, AuditVerb

from .choices import ConflictStatus, RecordStatus, Resolution, VersionAction
from .history import lock_change_feed, notify_subscribers
from .models import Conflict, Record, RecordVersion
from .outcomes import diff_values
from .placement import placement_keys, refresh_places
from .summaries import add_counts, count_key, moves, refresh_links


def may_resolve(user, conflict: Conflict) -> bool:
    """Only an officer whose region covers both the existing and the incoming township may resolve."""
    return can(user, Action.REVIEW, conflict.existing_region_id) and can(
        user, Action.REVIEW, conflict.incoming_region_id
    )


def covering_region(first: str, second: str) -> str:
    """The code of the lowest region whose subtree holds both townships: the township itself, the county or the
    city ("" when they share none)."""
    for length in (9, 6, 4):
        if first[:length] == second[:length]:
            return first[:length]
    return ""


def resolvers(conflicts) -> dict[str, tuple[str, list[str]]]:
    """For each conflict's covering region: its name and the names of the officers holding a role there (those who
    can resolve it). Two queries for the whole page."""
    from regions.choices import Role
    from regions.models import Region, RegionRole

    codes = {covering_region(c.existing_region_id, c.incoming_region_id) for c in conflicts} - {""}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    officers: dict[str, list[str]] = {code: [] for code in codes}
    for role in RegionRole.objects.filter(region_id__in=codes, role=Role.OFFICER).select_related("user"):
        officers[role.region_id].append(role.user.get_full_name() or role.user.username)
    return {code: (names.get(code, code), sorted(officers[code])) for code in codes}


def open_conflicts_of(entity, user) -> list[Conflict]:
    """The open conflicts of an entity whose page the user may see (the page's banner): which subcategory, which
    townships; `openable` when the user may open the conflict (its incoming township's), else only said."""
    conflicts = list(
        Conflict.objects.unrestricted("the entity page's banner: an entity the caller may view; townships only")
        .filter(entity=entity, status=ConflictStatus.OPEN)
        .select_related("subcategory", "existing_region", "incoming_region")
        .order_by("id")
    )
    for conflict in conflicts:
        conflict.openable = can(user, Action.VIEW, conflict.incoming_region_id, conflict.subcategory.code)
    return conflicts


def write_version(
    record: Record, action: str, changes: dict, *, acting_user, batch=None, note: str = ""
) -> RecordVersion:
    """Bump the record's version and write its history row (the record must be saved by the caller)."""
    record.version += 1
    lock_change_feed()
    notify_subscribers()
    return RecordVersion.objects.create(
        record=record,
        version=record.version,
        action=action,
        changes=changes,
        subcategory_id=record.subcategory_id,
        region_id=record.region_id,
        batch=batch,
        acting_user=acting_user,
        note=note[:500],
    )


def _new_values(conflict: Conflict, decision: str, values: dict | None) -> tuple[dict, str]:
    """The record's values and owning township after the decision."""
    record = conflict.record
    if decision == Resolution.KEEP_EXISTING:
        return record.values, record.region_id
    if decision == Resolution.TAKE_NEW:
        return {**record.values, **conflict.incoming_values}, conflict.incoming_region_id
    if decision == Resolution.EDIT:
        if not isinstance(values, dict) or not values:
            raise ValidationError("人工修改时须至少为一个数据项选择新值或填写修改后的值。")
        return {**record.values, **values}, record.region_id
    raise ValidationError(f"未知的处理方式：{decision}")


@transaction.atomic
def resolve_conflict(
    conflict: Conflict, *, decision: str, acting_user, values: dict | None = None, note: str = ""
) -> Conflict:
    """Keep the existing record, take the incoming values (the incoming township takes the record over), or edit;
    writes a `resolve` RecordVersion with the changed items and closes the conflict."""
    conflict = (
        Conflict.objects.unrestricted("resolve_conflict: the caller checked the officer covers both townships")
        .select_for_update()
        .select_related("record")
        .get(pk=conflict.pk)
    )
    if not may_resolve(acting_user, conflict):
        raise PermissionDenied("只有辖区同时覆盖两个乡镇（街道）的数据核验员可以处理此冲突。")
    if conflict.status != ConflictStatus.OPEN:
        raise ValidationError("该冲突已处理。")
    record = (
        Record.objects.unrestricted("resolve_conflict: the conflict's existing record")
        .select_for_update()
        .get(pk=conflict.record_id)
    )
    conflict.record = record
    if decision == Resolution.EDIT and not note.strip():
        raise ValidationError("人工修改时须填写说明（为什么这样修改）。")
    new_values, region = _new_values(conflict, decision, values)
    conflict.existing_values = dict(record.values)
    changes = diff_values(record.values, new_values)
    label = Resolution(decision).label
    moved = f"，记录改归 {region}" if region != record.region_id else ""
    moved_township = region != record.region_id
    counted = count_key(record)
    record.values, record.region_id, record.status = new_values, region, RecordStatus.ACTIVE
    write_version(record, VersionAction.RESOLVE, changes, acting_user=acting_user, batch=conflict.batch,
                  note=f"跨乡镇冲突 {conflict.pk}：{label}{moved}。{note}".strip())  # fmt: skip
    record.save()
    with connection.cursor() as cursor:  # the board's count follows the record's township (and place: save())
        add_counts(cursor, moves([(counted, count_key(record))]))
    if changes:
        refresh_links([record.pk])
    grid_keys, address_keys = placement_keys()
    if moved_township or not set(changes).isdisjoint(grid_keys + address_keys):
        refresh_places([record.pk])
    conflict.status, conflict.resolution = ConflictStatus.RESOLVED, decision
    conflict.resolved_by, conflict.resolved_at, conflict.note = acting_user, timezone.now(), note
    conflict.applied_changes = changes
    conflict.save()
    if conflict.staged_row_id:
        state = MergeState.SKIPPED if decision == Resolution.KEEP_EXISTING else MergeState.MERGED
        StagedRow.objects.unrestricted("resolve_conflict: the conflict's staged row").filter(
            pk=conflict.staged_row_id
        ).update(merge_state=state)
    # The items changed, never their values; recorded in the township that held the record.
    record_event(
        AuditVerb.RESOLVE_CONFLICT, actor=acting_user, obj=conflict, region=conflict.existing_region_id,
        label=f"冲突 {conflict.pk}（批次 {conflict.batch_id}）",
        before={"status": ConflictStatus.OPEN, "record_region": conflict.existing_region_id},
        after={"status": conflict.status, "decision": decision, "record_region": region, "items": sorted(changes)},
        note=note,
    )  # fmt: skip
    return conflict
