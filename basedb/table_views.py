"""Pages of the data tables (数据表): the subcategories with records in the user's region, one subcategory's table
(basedb/tables.py) with its posted search, and its xlsx export (the view as shown, masked).

The chosen columns are kept in the session per subcategory (a `cols` query sets them); the search text (a name or an
ID number) is posted and kept in the session under a random token `s`, so no personal value is ever in a URL.
"""

import secrets
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalog.models import Subcategory
from catalog.specs_build import build_table_spec, current_specs
from grassroots.replica import replica_reads
from grassroots.xlsx import streamed_response
from regions.choices import Action
from regions.models import Region

from .choices import RecordStatus
from .labels import Presenter
from .levels import in_subtree
from .models import Record
from .tables import STATUS_CHOICES, TableQuery, child_figures, is_personal, table_level, table_rows, write_table

PER_PAGE = 50
SEARCHES_KEPT = 20
COLUMNS_SESSION = "table_columns"
SEARCH_SESSION = "table_searches"


@login_required
@replica_reads
def table_list(request):
    """数据表: the subcategories with active records in the user's region, with their counts (one GROUP BY)."""
    level = _level(request)
    records = in_subtree(Record.objects.restrict(request.user, Action.VIEW), level.region.code)
    counts = dict(
        records.filter(status=RecordStatus.ACTIVE).order_by().values("subcategory_id").annotate(n=Count("id"))
        .values_list("subcategory_id", "n")
    )  # fmt: skip
    subs = Subcategory.objects.filter(pk__in=list(counts)).select_related("category").order_by("order", "code")
    rows = [{"sub": s, "records": counts[s.pk]} for s in subs]
    return render(request, "basedb/table_list.html", {"rows": rows, "level": level})


@login_required
@replica_reads
def record_table(request, code: str):
    """One subcategory's data table: filtered, searched, sorted and paginated at the database, masked."""
    spec, level = _spec(code), _level(request)
    query = TableQuery.parse(spec, request.GET, _columns(request, spec.code), _search(request))
    records = query.records(request.user, level)
    page = Paginator(records.only("id", "values", "status", "region_id", "place_id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "spec": spec, "query": query, "level": level, "page": page,
        "rows": table_rows(page, query, Presenter(), _names(page)),
        "children": child_figures(query.records(request.user, level), level), "statuses": STATUS_CHOICES,
        "hidden": _hidden(request.GET, "page", "columns", "cols"), "headers": _headers(request.GET, query),
        "drill": _with(request.GET, "region"), "export": _query(request.GET),
    }  # fmt: skip
    return render(request, "basedb/record_table.html", context)


@login_required
@require_POST
def record_table_search(request, code: str):
    """搜索 by name or ID number, posted: the text is kept in the session under a random token (`?s=`)."""
    spec = _spec(code)
    q = request.POST.get("q", "").strip()[:200]
    params = {k: request.POST[k].strip() for k in ("region", "status") if request.POST.get(k, "").strip()}
    if q:
        token = secrets.token_urlsafe(9)
        searches = dict(list(request.session.get(SEARCH_SESSION, {}).items())[-(SEARCHES_KEPT - 1) :])
        searches[token] = q
        request.session[SEARCH_SESSION] = searches
        params["s"] = token
    url = reverse("basedb:record_table", args=[spec.code])
    return redirect(f"{url}?{urlencode(params)}" if params else url)


@login_required
@replica_reads
def record_table_export(request, code: str):
    """The table as shown (columns, filters, search, sort), every page of it, as a streamed xlsx, masked."""
    spec, level = _spec(code), _level(request)
    query = TableQuery.parse(spec, request.GET, _columns(request, spec.code), _search(request))
    records = query.records(request.user, level)
    names = dict(in_subtree(Region.objects.all(), level.region.code, "code").values_list("code", "name"))
    filename = f"{spec.code}{spec.name}_{level.region.name}_数据表.xlsx"
    return streamed_response(filename, lambda book: write_table(book, query, records, names))


def _spec(code: str):
    spec = current_specs().get(code)
    if spec is None:
        if not Subcategory.objects.filter(code=code).exists():
            raise Http404
        spec = build_table_spec(code)  # a retired subcategory: its records stay readable
    return spec


def _level(request):
    """The drill-down level (`region`, default the user's own); 404 for a region not the user's, or no region."""
    level = table_level(request.user, request.GET.get("region"))
    if level is None:
        raise Http404
    return level


def _columns(request, code: str) -> list[str] | None:
    """The chosen columns: `cols` of the query (then kept in the session), else the session's, else None."""
    kept = request.session.get(COLUMNS_SESSION, {})
    if request.GET.get("columns") == "1":  # the column chooser was submitted (possibly with none ticked)
        kept[code] = request.GET.getlist("cols")[:200]
        request.session[COLUMNS_SESSION] = kept
    return kept.get(code)


def _search(request) -> str:
    return request.session.get(SEARCH_SESSION, {}).get(request.GET.get("s", ""), "")


def _without(params, *names: str):
    """The query string's parameters without `names`, the page, and the column chooser's (kept in the session)."""
    kept = params.copy()
    for name in ("page", "columns", "cols", *names):
        kept.pop(name, None)
    return kept


def _query(params) -> str:
    rest = _without(params).urlencode()
    return f"?{rest}" if rest else ""


def _hidden(params, *names: str) -> list[tuple[str, str]]:
    """The other parameters as hidden fields of a form that sets `names`."""
    return [(k, v) for k, values in _without(params, *names).lists() for v in values]


def _with(params, name: str) -> str:
    """`?…&name=` to which a value is appended: the other parameters kept."""
    rest = _without(params, name).urlencode()
    return f"?{rest}&{name}=" if rest else f"?{name}="


def _headers(params, query: TableQuery) -> list[dict]:
    """Each column's header: its label and, for a sortable item, the link that sorts by it (again: the other way)."""
    base, headers = _with(params, "sort"), []
    for item in query.items():
        sortable = not is_personal(item)
        direction = "asc" if query.sort == item.key else "desc" if query.sort == f"-{item.key}" else ""
        target = f"-{item.key}" if direction == "asc" else item.key
        headers.append({"item": item, "url": f"{base}{target}" if sortable else "", "direction": direction})
    return headers


def _names(page) -> dict[str, str]:
    codes = {r.place_id for r in page} | {r.region_id for r in page}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
