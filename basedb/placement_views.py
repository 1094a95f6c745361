"""The page of a township's unplaced records (未落位记录) and its bulk placement tool.

Thin views: the records come from `.restrict(user, Action.VIEW)`, placing calls basedb.placement.place_manually, which
checks the collector's right to the township itself.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from regions.access import can
from regions.choices import Action, RegionLevel
from regions.models import Region

from .forms import PlaceForm
from .labels import entity_name
from .models import Record
from .placement import place_manually, placement_choices, placement_keys, unplaced

PER_PAGE = 50


def _place_options(township: Region) -> list[tuple[str, str]]:
    """Villages and their grids, a grid shown under its village: (code, label)."""
    return [
        (r.code, r.name if r.level == RegionLevel.VILLAGE else f"　{r.name}") for r in placement_choices(township.code)
    ]


def _shown(record: Record, keys: tuple[tuple[str, ...], tuple[str, ...]]) -> tuple[str, str]:
    """The record's grid text and address, the items a person places it by."""
    grid = next((str(record.values[k]) for k in keys[0] if record.values.get(k)), "")
    address = next((str(record.values[k]) for k in keys[1] if record.values.get(k)), "")
    return grid, address


@login_required
def unplaced_list(request, code: str):
    """未落位记录: a township's active records placed no lower than the township; collectors place them by hand."""
    township = get_object_or_404(Region, code=code, level=RegionLevel.TOWNSHIP)
    if not can(request.user, Action.VIEW, township.code):
        raise Http404
    records = unplaced(Record.objects.restrict(request.user, Action.VIEW).filter(region_id=township.code))
    sub = request.GET.get("subcategory", "").strip()
    if sub:
        records = records.filter(subcategory__code=sub)
    records = records.select_related("entity", "subcategory").order_by("subcategory__code", "id")
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    options, may_place = _place_options(township), can(request.user, Action.UPLOAD, township.code)
    if request.method == "POST":
        if not may_place:
            raise Http404
        return _place(request, township, options)
    keys = placement_keys()
    for record in page:
        record.shown_name = entity_name(request.user, record.entity, [record]) or "（无名称）"
    rows = [(record, *_shown(record, keys)) for record in page]
    context = {"township": township, "page": page, "rows": rows, "subcategory": sub, "options": options,
               "may_place": may_place and bool(options)}  # fmt: skip
    return render(request, "basedb/unplaced_list.html", context)


def _place(request, township: Region, options):
    ids = [int(i) for i in request.POST.getlist("records") if i.isdigit()]
    form = PlaceForm(request.POST, record_ids=ids, places=options)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
    else:
        try:
            count = place_manually(form.cleaned_data["records"], form.cleaned_data["place"], acting_user=request.user)
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            name = dict(options)[form.cleaned_data["place"]].strip()
            messages.success(request, f"已将 {count} 条记录落到{name}。")
    return redirect(request.get_full_path())
