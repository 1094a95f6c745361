"""业务匹配 pages: the rules and their counts per township (departments, officers), the rule editor (rules
administrators), work lists and the entry page where a township records what it found (phone first), the xlsx
export, on-demand evaluation and API grants.

Thin views: entries come through `.restrict(user, action)` (another region's entry is a 404); state changes are
matching.feedback / matching.rulebook / matching.grants functions taking the acting user.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog.specs_build import build_table_spec
from grassroots.definitions import save_edited
from regions.access import can, restrict, scope_for
from regions.choices import Action, RegionLevel
from regions.models import Region

from . import grants
from .choices import EntryStatus, VersionSource
from .export import work_list_response
from .feedback import correction_target, facts_for, give_feedback
from .forms import FeedbackForm, GrantForm, RuleForm, WorkListFilterForm
from .models import Rule, WorkEntry
from .reasons import Explainer
from .rulebook import as_yaml, save_rule
from .tasks import evaluate_rule_task
from .worklist import OPEN, Presenter, rules_for, scoped_entries, totals, township_counts, work_list

PER_PAGE = 30


def _may_manage(user) -> bool:
    return not scope_for(user, Action.MANAGE_RULES).empty


def _may_view(user) -> bool:
    return not scope_for(user, Action.VIEW).empty


def _require_view(user) -> None:
    if not _may_view(user):
        raise PermissionDenied("您没有查看名单的权限。")


def _require_manage(user) -> None:
    if not _may_manage(user):
        raise PermissionDenied("只有规则管理员可以维护匹配规则。")


def _rule(user, code: str) -> Rule:
    return get_object_or_404(rules_for(user).select_related("subject"), code=code)


@login_required
def rule_list(request):
    """Every rule with its open, pending and overdue entries in the user's regions."""
    rules = list(rules_for(request.user).select_related("subject"))
    counts = {}
    if _may_view(request.user):
        rows = scoped_entries(request.user).filter(closed_at__isnull=True).values("rule_id")
        rows = rows.annotate(open=Count("id"), pending=Count("id", filter=Q(status=EntryStatus.PENDING)))
        counts = {r["rule_id"]: r for r in rows}
    for rule in rules:
        rule.counts = counts.get(rule.pk, {"open": 0, "pending": 0})
    context = {"rules": rules, "may_manage": _may_manage(request.user), "may_view": _may_view(request.user)}
    return render(request, "matching/rule_list.html", context)


@login_required
def rule_detail(request, code: str):
    """The rule in words and as YAML, its versions with what changed, and counts per township in the user's scope."""
    rule = _rule(request.user, code)
    definition = Presenter(rule).definition(rule.current_version)
    rows = township_counts(request.user, rule) if _may_view(request.user) else []
    context = {
        "rule": rule, "yaml": as_yaml(rule.definition), "rows": rows, "total": totals(rows),
        "reasons": Explainer(definition).lines(None) if definition else [],
        "versions": rule.versions.select_related("acting_user")[:50], "may_manage": _may_manage(request.user),
        "may_view": _may_view(request.user), "grants": grants.visible_grants(request.user, rule),
        "grant_form": GrantForm(clients=grants.grantable_clients(request.user)) if grants.may_grant(request.user)
        else None,
    }  # fmt: skip
    return render(request, "matching/rule_detail.html", context)


def _save_rule_form(request, rule: Rule | None):
    form = RuleForm(request.POST or None, instance=rule)
    saved = save_edited(request, form, save_rule, source=VersionSource.WEB)
    if saved is not None:
        if saved.changed:
            evaluate_rule_task.enqueue(saved.obj.pk, request.user.pk)
            messages.success(request, f"已保存为第 {saved.obj.version} 版，正在按新版本重新比对。")
        return redirect("matching:rule_detail", code=saved.obj.code)
    return render(request, "matching/rule_form.html", {"form": form, "rule": rule})


@login_required
def rule_create(request):
    _require_manage(request.user)
    return _save_rule_form(request, None)


@login_required
def rule_edit(request, code: str):
    _require_manage(request.user)
    return _save_rule_form(request, _rule(request.user, code))


@login_required
@require_POST
def rule_evaluate(request, code: str):
    """On demand: evaluate the whole rule again in the background."""
    _require_manage(request.user)
    rule = _rule(request.user, code)
    evaluate_rule_task.enqueue(rule.pk, request.user.pk)
    messages.success(request, f"已安排重新比对“{rule.name}”，稍后刷新查看结果。")
    return redirect("matching:rule_detail", code=rule.code)


def _townships(user) -> list[tuple[str, str]]:
    regions = restrict(Region.objects.filter(level=RegionLevel.TOWNSHIP), user, Action.VIEW, field="code")
    return list(regions.values_list("code", "name")[:500])


def _filtered(request, rule: Rule):
    form = WorkListFilterForm(request.GET or None, townships=_townships(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    entries = work_list(
        request.user, rule, region=data.get("region", ""), status=data.get("status", ""),
        state=data.get("state") or OPEN,
    )  # fmt: skip
    return form, entries


@login_required
def entry_list(request, code: str):
    """A rule's work list for the user's regions: cards that read on a phone, newest work first."""
    _require_view(request.user)
    rule = _rule(request.user, code)
    form, entries = _filtered(request, rule)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    presenter = Presenter(rule)
    views = [presenter.view(e) for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"rule": rule, "form": form, "page": page, "views": views, "query": query.urlencode()}
    return render(request, "matching/entry_list.html", context)


@login_required
def entry_export(request, code: str):
    """The work list (same filters) as xlsx, personal items masked."""
    _require_view(request.user)
    rule = _rule(request.user, code)
    _form, entries = _filtered(request, rule)
    return work_list_response(rule, entries.select_related("handled_by", "fact", "region"))


def _feedback_form(request, entry: WorkEntry) -> FeedbackForm:
    facts = facts_for(entry)
    ask = {}
    for fact in facts:
        if fact.corrects_base_data:
            spec = build_table_spec(correction_target(entry, fact))
            ask.update({i.key: i for i in spec.items if i.key in fact.ask_items})
    return FeedbackForm(request.POST or None, facts=facts, ask=ask)


@login_required
def entry_detail(request, pk: int):
    """One entry: who, why, the feedback so far; the township records its finding here (door to door, on a phone)."""
    entry = get_object_or_404(
        scoped_entries(request.user).select_related("rule__subject", "entity", "record", "region", "rule_version"),
        pk=pk,
    )
    may_handle = entry.is_open and can(request.user, Action.HANDLE_ENTRIES, entry.place_id)
    form = _feedback_form(request, entry) if may_handle else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("您没有核实该名单条目的权限。")
        if form.is_valid():
            try:
                give_feedback(
                    entry, status=form.cleaned_data["status"], fact=form.cleaned_data["fact"], acting_user=request.user,
                    note=form.cleaned_data["note"], entered=form.entered(),
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, "核实结果已保存。")
                return redirect("matching:entry_detail", pk=entry.pk)
    view = Presenter(entry.rule).view(entry)
    events = entry.events.select_related("acting_user", "fact", "correction_batch")
    context = {"entry": entry, "view": view, "form": form, "events": events}
    return render(request, "matching/entry_detail.html", context)


@login_required
@require_POST
def grant_add(request, code: str):
    rule = _rule(request.user, code)
    form = GrantForm(request.POST, clients=grants.grantable_clients(request.user))
    if not grants.may_grant(request.user):
        raise PermissionDenied("只有平台管理员可以授权接入方读取规则结果。")
    if form.is_valid():
        grants.grant_rule(form.cleaned_data["client"], rule, acting_user=request.user)
        messages.success(request, f"已授权“{form.cleaned_data['client'].name}”读取本规则结果。")
    else:
        messages.error(request, "请选择接入方。")
    return redirect("matching:rule_detail", code=rule.code)


@login_required
@require_POST
def grant_remove(request, pk: int):
    grant = get_object_or_404(grants.visible_grants(request.user, None), pk=pk)
    if not grants.may_grant(request.user):
        raise PermissionDenied("只有平台管理员可以撤销授权。")
    code = grant.rule.code
    grants.revoke_grant(grant, acting_user=request.user)
    messages.success(request, "已撤销授权。")
    return redirect("matching:rule_detail", code=code)
