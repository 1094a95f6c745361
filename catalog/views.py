"""Catalog browser: domains → categories → subcategories → items, search, code tables, template downloads.

Everyone signed in may read the catalog; it holds no region-scoped data.
"""

import io

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from grassroots.xlsx import XLSX_CONTENT_TYPE

from .describe import describe_cross_rule, describe_rules, describe_values, type_label
from .models import Category, CodeTable, DataElement, DataItem, Domain, Subcategory
from .specs_build import build_table_spec, current_version
from .templates_xlsx import TemplateError, cached_template

SEARCH_LIMIT = 100


def _active_subcategories():
    return Subcategory.objects.filter(is_active=True).annotate(item_count=Count("items")).order_by("order", "code")


@login_required
def catalog_index(request):
    """Every domain with its categories and their active subcategories (three queries)."""
    categories = Category.objects.prefetch_related(Prefetch("subcategories", queryset=_active_subcategories()))
    domains = Domain.objects.prefetch_related(Prefetch("categories", queryset=categories))
    return render(request, "catalog/index.html", {"domains": domains, "version": current_version()})


@login_required
def category_detail(request, code: str):
    """One category and its active subcategories, with the category template download."""
    category = get_object_or_404(Category.objects.select_related("domain"), code=code)
    subcategories = _active_subcategories().filter(category=category)
    return render(request, "catalog/category_detail.html", {"category": category, "subcategories": subcategories})


@login_required
def subcategory_detail(request, code: str):
    """One subcategory's items: header, type, required, rules in Chinese, code table, sensitivity, aliases."""
    subcategory = get_object_or_404(Subcategory.objects.select_related("category__domain"), code=code)
    spec = build_table_spec(code)
    rows = [
        {"spec": item, "type": type_label(item), "rules": describe_rules(item), "values": describe_values(item)}
        for item in spec.items
    ]
    names = {i.key: i.name for i in spec.items}
    context = {
        "subcategory": subcategory,
        "spec": spec,
        "rows": rows,
        "key_names": [names.get(k, k) for k in spec.key_items],
        "cross_rules": [describe_cross_rule(rule, names) for rule in spec.cross_rules],
    }
    return render(request, "catalog/subcategory_detail.html", context)


@login_required
def element_detail(request, key: str):
    """A data element and the subcategories that use it."""
    element = get_object_or_404(DataElement.objects.select_related("code_table"), key=key)
    items = element.items.select_related("subcategory").order_by("subcategory__order", "subcategory__code")
    return render(request, "catalog/element_detail.html", {"element": element, "items": items})


@login_required
def catalog_search(request):
    """Subcategories, data elements and items whose Chinese name, alias, code or key contains the query."""
    query = request.GET.get("q", "").strip()
    results = search_catalog(query) if query else None
    return render(request, "catalog/search.html", {"query": query, "results": results})


def search_catalog(query: str) -> dict:
    """Matches of `query` among subcategories, elements (name, key, aliases) and item labels, at most 100 each.

    Aliases are matched in Python: JSON text search differs between SQLite (escaped) and PostgreSQL.
    """
    folded = query.casefold()
    subcategories = Subcategory.objects.filter(is_active=True).filter(Q(name__icontains=query) | Q(code__iexact=query))
    elements = [
        e
        for e in DataElement.objects.order_by("key")
        if folded in e.name.casefold() or folded in e.key or any(folded in a.casefold() for a in e.aliases)
    ]
    items = DataItem.objects.filter(label__icontains=query, subcategory__is_active=True).select_related(
        "subcategory", "element"
    )
    return {
        "subcategories": list(subcategories.select_related("category")[:SEARCH_LIMIT]),
        "elements": elements[:SEARCH_LIMIT],
        "items": list(items[:SEARCH_LIMIT]),
    }


@login_required
def code_table_list(request):
    """All code tables with their standard and number of values."""
    tables = CodeTable.objects.annotate(value_count=Count("values")).order_by("code")
    return render(request, "catalog/code_table_list.html", {"tables": tables})


@login_required
def code_table_detail(request, code: str):
    """One code table: its values with the aliases accepted for each, and the elements that use it."""
    table = get_object_or_404(CodeTable, code=code)
    context = {"table": table, "values": table.values.all(), "elements": table.elements.order_by("key")}
    return render(request, "catalog/code_table_detail.html", context)


@login_required
def template_download(request, code: str):
    """The Excel template of a subcategory or a category (one sheet per subcategory)."""
    try:
        filename, content = cached_template(code)
    except TemplateError as exc:
        raise Http404(str(exc)) from exc
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
