"""Base-database pages: records (search), the entity 360° view and the record page with history, conflicts to
resolve, batch revert, the progress board and its export, verify-and-patch workbooks.

Thin views: every list and detail narrows with `.restrict(user, action)`; state changes call conflicts.py and
revert.py, which check the officer's region themselves.
"""

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from catalog.specs_build import build_table_spec
from collection.models import Batch
from collection.todo import collector_todo
from grassroots.replica import replica_reads
from grassroots.xlsx import spooled_file, spooled_response, streamed_response
from regions.access import can, scope_for
from regions.choices import Action
from regions.models import Region

from .board import COLUMNS, chart, county_choices, sort_rows, subcategory_rows, totals, township_rows, write_export
from .choices import ConflictStatus, Resolution, RevealReason
from .conflicts import covering_region, may_resolve, open_conflicts_of, resolve_conflict, resolvers
from .forms import ConflictResolutionForm, PatchForm
from .history import value_provenance
from .labels import Presenter, entity_name, kind_label
from .levels import in_subtree, level_for, level_rows, record_figures
from .links import incoming_links, outgoing_links
from .models import Conflict, Entity, Record, RecordVersion
from .patch import export_patch_workbook
from .revert import REVERT_NOTE, revert_batch, revert_note, revert_scope
from .sunk import sunk_classes

PER_PAGE = 50


@login_required
def record_list(request):
    """Records the user may view, filtered by subcategory code and drilled down by region (city → county →
    township → village → grid, by the records' place); a search (record_search) is named by its session token `s`,
    so neither an ID number nor a name is ever part of the address."""
    level = level_for(request.user, request.GET.get("region")) if request.GET.get("region") else None
    if request.GET.get("region") and level is None:
        raise Http404
    records = Record.objects.restrict(request.user, Action.VIEW).select_related(
        "entity", "subcategory", "region", "place"
    )
    if level is not None:
        records = in_subtree(records, level.region.code)
    q, sub = saved_search(request), request.GET.get("subcategory", "").strip()
    if q:  # a key (ID numbers with an upper-case X, house codes ...) or the beginning of a name
        records = records.filter(Q(entity__key=q.upper()) | Q(entity__key=q) | Q(entity__display_name__startswith=q))
    if sub:
        records = records.filter(subcategory__code=sub)
    page = Paginator(records.order_by("-id"), PER_PAGE).get_page(request.GET.get("page"))
    for record in page:
        record.shown_name = entity_name(request.user, record.entity, [record])
    context = {"page": page, "q": q, "subcategory": sub, "level": level or level_for(request.user, None)}
    context["children"] = level_links(request.user, context["level"])
    return render(request, "basedb/record_list.html", context)


SEARCHES_KEPT = 20


@login_required
@require_POST
def record_search(request):
    """搜索 by key or name, posted so the text stays out of URLs and access logs: a key of exactly one entity the
    user may view opens its page (by public id); anything else lists the records, the text kept in the session
    under a random token (`?s=`)."""
    q = request.POST.get("q", "").strip()[:200]
    params = {k: request.POST[k].strip() for k in ("region", "subcategory") if request.POST.get(k, "").strip()}
    if q:
        visible = Record.objects.restrict(request.user, Action.VIEW)
        matches = list(
            visible.filter(entity__key__in={q, q.upper()}).values_list("entity__public_id", flat=True).distinct()[:2]
        )
        if len(matches) == 1:
            return redirect("basedb:entity_detail", public_id=matches[0])
        token = secrets.token_urlsafe(9)
        searches = dict(list(request.session.get("record_searches", {}).items())[-(SEARCHES_KEPT - 1) :])
        searches[token] = q
        request.session["record_searches"] = searches
        params["s"] = token
    return redirect(f"{reverse('basedb:record_list')}?{urlencode(params)}" if params else reverse("basedb:record_list"))


def saved_search(request) -> str:
    """The search text of the request's `s` token (record_search), empty when unknown or expired."""
    return request.session.get("record_searches", {}).get(request.GET.get("s", ""), "")


def level_links(user, level) -> list[dict]:
    """The record list's drill-down: the level's children with their record counts (one GROUP BY)."""
    if level is None or level.child_length is None:
        return []
    figures = record_figures(user, level.region.code, level.child_length)
    names = dict(Region.objects.filter(code__in=list(figures)).values_list("code", "name"))
    return [
        {"code": code, "name": names.get(code, code), "records": n, "leftover": len(code) == len(level.region.code)}
        for code, (n, _placed) in sorted(figures.items())
    ]


def _record_rows(records: list[Record], presenter: Presenter) -> list[dict]:
    """Each record with its displayed items (label, value, provenance) and its versions (changes displayed); the
    versions of all the records are read in one query."""
    versions: dict[int, list[RecordVersion]] = {r.pk: [] for r in records}
    for version in (
        RecordVersion.objects.unrestricted("the versions of records already restricted for the user")
        .filter(record__in=records)
        .select_related("batch__uploaded_by", "acting_user", "region")
        .order_by("record_id", "-version", "-id")
    ):
        versions[version.record_id].append(version)
    rows = []
    for record in records:
        code = record.subcategory.code
        provenance = value_provenance(record, versions[record.pk])
        for version in versions[record.pk]:
            version.shown_changes = presenter.changes(code, version.pairs())
        items = [(label, shown, provenance.get(key)) for key, label, shown in presenter.values(code, record.values)]
        rows.append(
            {
                "record": record,
                "items": items,
                "versions": versions[record.pk],
                "reverted": revert_note(versions[record.pk]),
            }
        )
    return rows


@login_required
def entity_detail(request, public_id: str):
    """The 360° view: one entity's records across subcategories (those the user may view), each with its history,
    and the entities linked to it through reference items, personal items masked; users who work on a record's
    region may reveal the page (sharing.reveal, logged). Addressed by the entity's random public id."""
    entity, records = viewable_entity(request.user, public_id)
    return render(request, "basedb/entity_detail.html", entity_context(request.user, entity, records))


def viewable_entity(user, public_id: str) -> tuple[Entity, list[Record]]:
    """The entity and its records `user` may view; 404 when there is none."""
    entity = get_object_or_404(
        Entity.objects.unrestricted("found by public id, shown only with records in scope"), public_id=public_id
    )
    records = list(
        Record.objects.restrict(user, Action.VIEW)
        .filter(entity=entity)
        .select_related("subcategory", "region", "last_batch")
        .order_by("status", "subcategory__code")
    )
    if not records:
        raise Http404
    for record in records:
        record.entity = entity  # the reveal's log reads the key through it
    return entity, records


def entity_context(user, entity: Entity, records: list[Record], *, revealed: frozenset[int] = frozenset()) -> dict:
    """The entity page's context; the records in `revealed` (ids) show their personal items in clear (only after a
    logged reveal), the others stay masked."""
    masked, clear = Presenter(), Presenter(reveal=True)
    shown = [r for r in records if r.pk in revealed]
    rows = {row["record"].pk: row for row in _record_rows(shown, clear)}
    rows.update({row["record"].pk: row for row in _record_rows([r for r in records if r.pk not in revealed], masked)})
    return {
        "entity": entity,
        "shown_name": entity_name(user, entity, records),
        "kind_label": kind_label(entity.kind),
        "rows": [rows[r.pk] for r in records],
        "outgoing": outgoing_links(records, user),
        "incoming": incoming_links(entity, user),
        "revealed": bool(revealed),
        "may_reveal": not revealed and any(may_reveal(user, r) for r in records),
        "reveal_reasons": RevealReason.choices,
        "open_conflicts": open_conflicts_of(entity, user),
    }


@login_required
def entity_by_id(request, pk: int):
    """Old address of the entity page (by database id): redirect to the public id, for an entity of which the user
    may view a record (404 otherwise, the same answer as for an id that does not exist)."""
    visible = Record.objects.restrict(request.user, Action.VIEW).filter(entity_id=pk)
    public_id = visible.values_list("entity__public_id", flat=True).first()
    if public_id is None:
        raise Http404
    return redirect("basedb:entity_detail", public_id=public_id)


@login_required
def record_detail(request, pk: int):
    """One record with its history and provenance, personal items masked; officers may revert the batch that last
    changed it, and users who work on its region may reveal it (sharing.reveal, logged)."""
    return render(request, "basedb/record_detail.html", record_context(request.user, viewable_record(request.user, pk)))


def viewable_record(user, pk: int) -> Record:
    return get_object_or_404(
        Record.objects.restrict(user, Action.VIEW).select_related("entity", "subcategory", "region"), pk=pk
    )


def may_reveal(user, record: Record) -> bool:
    """Those who collect or review the record's region may see its personal items in clear, one record at a time."""
    return can(user, Action.REVIEW, record.region_id) or can(user, Action.UPLOAD, record.region_id)


def record_context(user, record: Record, *, reveal: bool = False) -> dict:
    """The record page's context; `reveal`: personal items in clear (only after a logged reveal)."""
    (row,) = _record_rows([record], Presenter(reveal=reveal))
    last = next((v for v in row["versions"] if v.batch_id and not v.note.startswith(REVERT_NOTE)), None)
    may_revert = last is not None and not row["reverted"] and can(user, Action.REVIEW, last.batch.region_id)
    # Reverting undoes the whole batch, not this record: the page says how many rows (revert_confirm asks again).
    scope = revert_scope(last.batch) if may_revert else None
    return {"record": record, "shown_name": entity_name(user, record.entity, [record]), "row": row,
            "last_batch": last.batch if last else None, "revert_scope": scope, "may_revert": scope is not None,
            "revealed": reveal, "may_reveal": not reveal and may_reveal(user, record),
            "reveal_reasons": RevealReason.choices}  # fmt: skip


@login_required
def conflict_list(request):
    """Open conflicts raised by batches of the townships the user may view: an officer resolves the ones his region
    covers; a collector sees his township's, read-only, with who will resolve them (the count on his home page)."""
    status = request.GET.get("status", ConflictStatus.OPEN)
    conflicts = (
        Conflict.objects.restrict(request.user, Action.VIEW)
        .filter(status=status)
        .select_related("entity", "subcategory", "existing_region", "incoming_region", "record", "batch", "resolved_by")
    )
    page = Paginator(conflicts, PER_PAGE).get_page(request.GET.get("page"))
    # The reviewing officer resolves a conflict raised by a batch of a township they review: like a batch's rows in
    # error, its values are shown as typed (issue 11 item 8's exception); whose side they may see is show_conflict's.
    presenter, who = Presenter(reveal=True), resolvers(page)
    for conflict in page:
        conflict.resolvable = may_resolve(request.user, conflict)
        show_conflict(conflict, request.user, presenter, who)
    context = {"page": page, "status": status, "statuses": ConflictStatus.choices}
    return render(request, "basedb/conflict_list.html", context)


def show_conflict(conflict: Conflict, user, presenter: Presenter, who: dict) -> None:
    """What the conflict pages show of one conflict: the existing record's values only to a user who may view that
    record's region; to anyone else the incoming values, the existing township's name and who can resolve it. A
    resolved conflict shows the difference as it was when decided and the items the decision changed."""
    code = conflict.subcategory.code
    conflict.existing_visible = can(user, Action.VIEW, conflict.record.place_id)
    conflict.resolver = who.get(covering_region(conflict.existing_region_id, conflict.incoming_region_id))
    conflict.applied = presenter.changes(code, conflict.applied_changes or {})
    if conflict.existing_visible:
        existing = conflict.record.values if conflict.existing_values is None else conflict.existing_values
        conflict.diff_kept = conflict.status == ConflictStatus.OPEN or conflict.existing_values is not None
        conflict.diff = presenter.diff(code, existing, conflict.incoming_values)
        conflict.shown_name = conflict.entity.display_name
        return
    conflict.incoming = presenter.values(code, conflict.incoming_values)
    names = build_table_spec(code).display_name_keys
    conflict.shown_name = next((str(conflict.incoming_values[k]) for k in names if conflict.incoming_values.get(k)), "")


CONFLICT_RELATED = ("entity", "subcategory", "existing_region", "incoming_region", "record", "batch", "resolved_by")


@login_required
def conflict_detail(request, pk: int):
    """One conflict: the difference item by item and, for an officer covering both townships, its own resolution
    form (keep existing, take new, or 人工修改 item by item with a note)."""
    conflict = get_object_or_404(Conflict.objects.restrict(request.user, Action.VIEW).select_related(*CONFLICT_RELATED),
                                 pk=pk)  # fmt: skip
    return render(request, "basedb/conflict_detail.html", conflict_context(request.user, conflict))


def conflict_context(user, conflict: Conflict, data=None) -> dict:
    """The conflict page's context; `data`: the posted resolution form (bound, with its errors)."""
    # The reviewing officer resolves with the values as typed (issue 11 item 8's exception, as on the list).
    show_conflict(conflict, user, Presenter(reveal=True), resolvers([conflict]))
    conflict.resolvable = conflict.status == ConflictStatus.OPEN and may_resolve(user, conflict)
    form = None
    if conflict.resolvable and conflict.existing_visible:
        form = ConflictResolutionForm(data, changes=conflict.diff, incoming=conflict.incoming_values)
    return {"conflict": conflict, "form": form}


@login_required
@require_POST
def conflict_resolve(request, pk: int):
    """Resolve one conflict from its page; the form's errors (in Chinese) come back on the same page, and
    resolve_conflict checks that the officer covers both townships."""
    conflict = get_object_or_404(
        Conflict.objects.restrict(request.user, Action.REVIEW).select_related(*CONFLICT_RELATED), pk=pk
    )
    context = conflict_context(request.user, conflict, request.POST)
    form = context["form"]
    if form is None:
        messages.error(request, "您不能处理此冲突（已处理，或需由两乡镇共同上级的数据核验员处理）。")
        return redirect("basedb:conflict_detail", pk=conflict.pk)
    if form.is_valid():
        try:
            resolve_conflict(conflict, decision=form.cleaned_data["decision"], acting_user=request.user,
                             values=form.cleaned_data["values"], note=form.cleaned_data["note"])  # fmt: skip
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, f"冲突 {conflict.pk} 已处理：{Resolution(form.cleaned_data['decision']).label}。")
            return redirect("basedb:conflict_list")
    return render(request, "basedb/conflict_detail.html", context)


@login_required
def batch_revert(request, pk: int):
    """Revert a merged batch (officers of the batch's region). GET: the confirmation saying it undoes the whole
    batch (its rows, the records created and updated); the POST carries the number of records confirmed."""
    batch = get_object_or_404(
        Batch.objects.restrict(request.user, Action.REVIEW).select_related("region", "subcategory"), pk=pk
    )
    scope, target = revert_scope(batch), _safe_next(request)
    if scope is None:
        messages.error(request, f"批次 {batch.pk} 没有可撤销的入库结果。")
        return redirect(target or reverse("collection:review_detail", args=[batch.pk]))
    if request.method != "POST" or request.POST.get("confirm") != str(scope.records):
        context = {"batch": batch, "scope": scope, "next": target}
        return render(request, "basedb/revert_confirm.html", context)
    try:
        result = revert_batch(batch, acting_user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(
            request, f"已撤销批次 {batch.pk} 的入库：注销 {result.retired} 条，恢复 {result.restored} 条。"
        )
    return redirect(target or reverse("collection:review_detail", args=[batch.pk]))


def _safe_next(request) -> str:
    """The page to return to (`next`, GET or POST), when it is on this site; "" otherwise."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@login_required
@replica_reads
def board(request):
    """进度看板: the progress board of the user's region (officers' home page too), drilled down by `region`."""
    return render(request, "basedb/board.html", board_context(request))


def board_context(request) -> dict:
    """Board tables, chart and filters for the request's user; shared with the home page. `region` chooses the
    drill-down level (404 when it is not the user's)."""
    level = level_for(request.user, request.GET.get("region"))
    if level is None and request.GET.get("region"):
        raise Http404
    drilled = level_rows(request.user, level) if level else []
    counties = dict(county_choices(request.user))
    county = request.GET.get("county", "")
    county = county if county in counties else ""
    sort = request.GET.get("sort", "")
    townships = sort_rows(township_rows(request.user, county=county or None), sort)
    subcategories = sort_rows(subcategory_rows(request.user, county=county or None), request.GET.get("ssort", ""))
    query = request.GET.copy()
    for name in ("sort", "ssort"):
        query.pop(name, None)
    return {
        "townships": townships,
        "subcategories": subcategories,
        "total": totals(townships),
        "chart": chart(sort_rows(townships, sort or "-records")),
        "counties": counties,
        "county": county,
        "sort": sort,
        "ssort": request.GET.get("ssort", ""),
        "base_query": query.urlencode(),
        "township_columns": COLUMNS,
        "may_review": not scope_for(request.user, Action.REVIEW).empty,
        "level": level,
        "level_rows": drilled,
        "level_total": totals(drilled),
    }


def home_page(request):
    """The home page for officers (the board) and collectors (their township's figures); None for other users."""
    if not scope_for(request.user, Action.REVIEW).empty:
        return render(request, "basedb/home_officer.html", board_context(request))
    if not scope_for(request.user, Action.UPLOAD).empty:
        todo = collector_todo(request.user)
        context = {"townships": township_rows(request.user), "todo": todo, "sunk": sunk_classes(request.user)}
        return render(request, "basedb/home_collector.html", context)
    return None


@login_required
@replica_reads
def board_export(request):
    """The board as an xlsx file: the level shown (`region`: its children), else the townships (county filter)."""
    if request.GET.get("region"):
        level = level_for(request.user, request.GET["region"])
        if level is None:
            raise Http404
        rows, title = level_rows(request.user, level), f"{level.region.name}·按{level.child_label or '区划'}"
        subcategories = subcategory_rows(request.user, county=level.region.code[:9])
        name = f"归集进度-{level.region.name}.xlsx"
        return streamed_response(name, lambda book: write_export(book, rows, subcategories, title[:31]))
    county = request.GET.get("county", "")
    county = county if county in dict(county_choices(request.user)) else None
    townships, subcategories = township_rows(request.user, county=county), subcategory_rows(request.user, county=county)
    return streamed_response("归集进度.xlsx", lambda book: write_export(book, townships, subcategories))


@login_required
def patch_download(request):
    """核对式采集: pick a township and a subcategory, download its current records as a pre-filled template."""
    form = PatchForm(request.GET or None, user=request.user)
    if request.GET and form.is_valid():
        spool = spooled_file()
        try:
            name = export_patch_workbook(
                form.cleaned_data["subcategory"], form.cleaned_data["region"], spool, user=request.user
            )
        except PermissionDenied:
            spool.close()
            raise Http404 from None
        response = spooled_response(spool, name)
        ready = request.GET.get("ready", "")
        if ready.isdigit() and len(ready) <= 20:  # the page's script waits for this to say the file is coming
            response.set_cookie("patch_ready", ready, max_age=300, samesite="Lax", secure=request.is_secure())
        return response
    return render(request, "basedb/patch.html", {"form": form})
