"""网格工作台: phone-first pages of village (村/社区) and grid users: my area's people, houses and enterprises,
search, a card per entity, the work-list entries of the area and corrections reported from the field.

Thin views: areas come from area.area_for (404 outside the user's subtree), records through `.restrict`; a
correction goes through collection.corrections.submit_correction into the officers' review queue.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from basedb.levels import in_subtree
from basedb.models import Record
from catalog.choices import EntityKind
from collection.choices import BatchStatus
from collection.pipeline.types import RejectedFile
from matching.worklist import Presenter as EntryPresenter
from matching.worklist import scoped_entries
from regions.access import can
from regions.choices import Action, RegionLevel

from . import area as areas
from .card import correctable_items, entity_records, record_cards, report_correction
from .forms import CorrectionForm, SearchForm

PER_PAGE = 30


def _area(request, code: str):
    region = areas.area_for(request.user, code)
    if region is None:
        raise Http404
    return region


@login_required
def home(request):
    """My villages and grids; a user of one area goes straight to it."""
    regions = areas.my_areas(request.user)
    if len(regions) == 1 and areas.is_area_user(request.user):
        return redirect("gridwork:area", code=regions[0].code)
    return render(request, "gridwork/home.html", {"regions": regions})


@login_required
def area(request, code: str):
    """One village or grid: counts of people, houses and enterprises, a list of one kind (masked), the search."""
    region = _area(request, code)
    kind = request.GET.get("kind", EntityKind.PERSON)
    if kind not in areas.KINDS:
        kind = EntityKind.PERSON
    page = Paginator(areas.area_entities(request.user, region, kind), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "region": region, "kind": kind, "counts": _count_tabs(request.user, region), "page": page,
        "lines": areas.lines(page.object_list), "form": SearchForm(), "children": _children(request.user, region),
        "may_upload": region.level == RegionLevel.VILLAGE and can(request.user, Action.UPLOAD, region.code),
    }  # fmt: skip
    return render(request, "gridwork/area.html", context)


def _count_tabs(user, region) -> list[dict]:
    counts = areas.kind_counts(user, region)
    return [{"kind": k, "label": EntityKind(k).label, "count": counts[k]} for k in areas.KINDS]


def _children(user, region) -> list:
    return [c for c in region.children.order_by("code") if areas.area_for(user, c.code) is not None]


@login_required
def search(request, code: str):
    """Search of the area by name or ID number, posted (never in the URL); a GET shows the empty form."""
    region = _area(request, code)
    form = SearchForm(request.POST if request.method == "POST" else None)
    found = None
    if form.is_valid():
        found = areas.lines(areas.search(request.user, region, form.cleaned_data["q"]))
    return render(request, "gridwork/search.html", {"region": region, "form": form, "found": found})


@login_required
def card(request, public_id: str):
    """An entity's card: its records placed where the user works (masked), the open work-list entries about it."""
    records = entity_records(request.user, public_id)
    if not records:
        raise Http404
    entity = records[0].entity
    entries = scoped_entries(request.user).filter(entity=entity, closed_at__isnull=True).select_related("rule")
    context = {
        "entity": entity, "name": areas.masked_name(entity), "key": areas.masked_key(entity),
        "cards": record_cards(request.user, records), "entries": list(entries.order_by("id")[:20]),
    }  # fmt: skip
    return render(request, "gridwork/card.html", context)


@login_required
def correct(request, public_id: str, subcategory: str):
    """Report a correction of one record (the entity's row of the subcategory) from the field: checked by the intake
    rules, then reviewed by officers."""
    record = get_object_or_404(
        Record.objects.restrict(request.user, Action.CORRECT).select_related("entity", "subcategory", "place"),
        entity__public_id=public_id, subcategory__code=subcategory,
    )  # fmt: skip
    form = CorrectionForm(request.POST or None, items=correctable_items(record))
    if request.method == "POST" and form.is_valid():
        try:
            batch = report_correction(
                record, form.cleaned_data["changes"], reason=form.cleaned_data["reason"], acting_user=request.user
            )
        except RejectedFile as exc:  # IntakeRefused too: not the user's place
            form.add_error(None, str(exc))
        else:
            messages.success(request, _submitted(batch))
            return redirect("gridwork:card", public_id=record.entity.public_id)
    (shown,) = record_cards(request.user, [record])
    return render(request, "gridwork/correct.html", {"record": record, "form": form, "shown": shown})


def _submitted(batch) -> str:
    if batch.status == BatchStatus.NEEDS_FIX:
        return f"更正已提交（批次 #{batch.pk}），但有数据项未通过核验：乡镇（街道）采集员修正后交核验员审核。"
    return f"更正已提交（批次 #{batch.pk}），等待核验员审核后入库。"


@login_required
def entries(request, code: str):
    """The open work-list entries of the area (records placed in it), pending first, each linked to its page."""
    region = _area(request, code)
    entries = (
        in_subtree(scoped_entries(request.user), region.code).filter(closed_at__isnull=True)
        .select_related("rule__subject", "entity", "record", "rule_version")
        .order_by("status", "rule_id", "id")
    )  # fmt: skip
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    presenters: dict[int, EntryPresenter] = {}
    views = [
        (presenters.setdefault(e.rule_id, EntryPresenter(e.rule)).view(e), areas.masked_name(e.entity))
        for e in page.object_list
    ]
    return render(request, "gridwork/entries.html", {"region": region, "page": page, "views": views})
