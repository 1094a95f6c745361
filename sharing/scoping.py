"""Subcategory scoping of API clients, the companion of regions.access.restrict (which handles the region subtree).

Every sharing endpoint narrows its queryset with both: `restrict(qs, request.user)` for regions and
`restrict_subcategories(qs, client)` for subcategories.
"""

from django.db.models import QuerySet

from catalog.models import Subcategory
from catalog.spec import TableSpec
from catalog.specs_build import build_table_spec, current_specs
from grassroots.api import ApiError

from .models import ApiClient


def allowed_subcategories(client: ApiClient) -> dict[str, int]:
    """The client's subcategories as code -> id, computed once per request (cached on the client object)."""
    cached = client.__dict__.get("_allowed_subcategories")
    if cached is None:
        cached = dict(client.subcategories.values_list("code", "pk"))
        client.__dict__["_allowed_subcategories"] = cached
    return cached


def restrict_subcategories(queryset: QuerySet, client: ApiClient, field: str = "subcategory_id") -> QuerySet:
    """Narrow a Record (or RecordVersion) queryset to the client's subcategories."""
    return queryset.filter(**{f"{field}__in": list(allowed_subcategories(client).values())})


def client_subcategory(client: ApiClient, code: str, param: str = "subcategory") -> tuple[int, TableSpec]:
    """(id, spec) of a subcategory the client may read; unknown and forbidden codes get the same 404."""
    pk = allowed_subcategories(client).get(code)
    if pk is None:
        raise ApiError("subcategory_not_found", f"数据子类 {code} 不存在或无权访问", param=param, status_code=404)
    return pk, spec_for(code)


def spec_for(code: str) -> TableSpec:
    """The subcategory's spec (cached for active ones; built fresh for a retired one)."""
    spec = current_specs().get(code)
    if spec is None:
        try:
            spec = build_table_spec(code)
        except Subcategory.DoesNotExist as exc:
            raise ApiError("subcategory_not_found", f"数据子类 {code} 不存在", status_code=404) from exc
    return spec
