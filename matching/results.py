"""What a sharing API client reads of the rules it was granted: the rules, and pages of their open entries in its
region, masked by its sensitivity through the sharing app's own masking (the same as every sharing endpoint)."""

from grassroots.api import ApiError
from regions.access import restrict
from regions.models import prefix_bounds
from sharing.client_values import ItemInfo
from sharing.masking import allowed
from sharing.reads import Read
from sharing.scoping import spec_for

from .choices import EntryStatus
from .models import Rule, WorkEntry
from .worklist import Presenter


def _granted(client):
    return Rule.objects.filter(grants__client=client)


def granted_rules(client) -> list[dict]:
    return [
        {"code": r.code, "name": r.name, "department": r.department, "basis": r.basis, "description": r.description,
         "subject": r.subject.code, "version": r.version, "active": r.is_active, "show": r.definition.get("show", [])}
        for r in _granted(client).select_related("subject").order_by("code")
    ]  # fmt: skip


def status_param(params) -> str | None:
    status = params.get("status") or None
    if status is not None and status not in EntryStatus.values:
        expected = "、".join(EntryStatus.values)
        raise ApiError("invalid_parameter", f"参数 status 有误：应为 {expected} 之一", param="status")
    return status


def results_page(user, *, code: str, region: str | None, status: str | None, after: int, size: int) -> Read:
    """One page (by entry id) of the rule's open entries in the client's region; 404 when the rule is not granted."""
    client = user.api_client
    rule = _granted(client).select_related("subject").filter(code=code).first()
    if rule is None:
        raise ApiError("rule_not_found", f"规则 {code} 不存在或未授权", status_code=404)
    entries = restrict(WorkEntry.objects.filter(rule=rule, closed_at__isnull=True, id__gt=after), user)
    if region:
        low, high = prefix_bounds(region)
        entries = entries.filter(place_id__gte=low, place_id__lt=high)
    if status:
        entries = entries.filter(status=status)
    rows = list(entries.select_related("entity", "record", "fact", "rule_version").order_by("id")[: size + 1])
    info = ItemInfo(spec_for(rule.subject.code))
    reveal = allowed("personal", client.max_sensitivity)
    presenter = Presenter(rule, reveal=reveal)
    show = list(rule.definition.get("show") or [])
    results, personal = [], False
    for entry in rows[:size]:
        key, key_personal = info.entity_key(entry.entity.key, client.max_sensitivity)
        values, values_personal = info.values(entry.record.values if entry.record_id else {}, client.max_sensitivity,
                                              show, key=entry.entity.key)  # fmt: skip
        personal = personal or key_personal or values_personal
        results.append({
            "id": entry.pk, "entity": {"kind": entry.entity.kind, "key": key}, "region": entry.region_id,
            "status": entry.status, "fact": entry.fact.code if entry.fact_id else None,
            "reasons": presenter.view(entry).reasons, "values": values, "rule_version": entry.rule_version.version,
            "opened_at": entry.opened_at, "evaluated_at": entry.evaluated_at, "handled_at": entry.handled_at,
        })  # fmt: skip
    cursor = results[-1]["id"] if len(rows) > size else None
    body = {"rule": rule.code, "results": results, "next_cursor": cursor}
    return Read(body, len(results), personal, {"rule": rule.code})
