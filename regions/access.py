"""The single place that decides which regions a user may act on.

Every list, detail, export and API endpoint narrows its queryset with `restrict(user, action)` (through
`RegionScopedQuerySet.restrict`), and every single-region decision asks `can(user, action, code)`.
A role held in a region covers the region's whole subtree (a code prefix).
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

from .choices import Action, Role
from .models import prefix_bounds

# Which roles allow which action; platform administrators may do everything in their subtree.
ACTION_ROLES: dict[str, frozenset[str]] = {
    Action.VIEW: frozenset({Role.COLLECTOR, Role.OFFICER, Role.PLATFORM_ADMIN}),
    Action.UPLOAD: frozenset({Role.COLLECTOR, Role.PLATFORM_ADMIN}),
    Action.REVIEW: frozenset({Role.OFFICER, Role.PLATFORM_ADMIN}),
    Action.MANAGE_CATALOG: frozenset({Role.CATALOG_ADMIN, Role.PLATFORM_ADMIN}),
    Action.ADMINISTER: frozenset({Role.PLATFORM_ADMIN}),
}


@dataclass(frozen=True)
class Scope:
    """The region subtrees a user may act on for one action: everything, or a set of code prefixes."""

    everything: bool
    prefixes: tuple[str, ...]

    def covers(self, code: str | None) -> bool:
        if self.everything:
            return True
        return bool(code) and any(code.startswith(p) for p in self.prefixes)

    @property
    def empty(self) -> bool:
        return not self.everything and not self.prefixes


def _minimal(prefixes: set[str]) -> tuple[str, ...]:
    """Drop prefixes already covered by a shorter one (a county role makes its township roles redundant)."""
    kept: list[str] = []
    for code in sorted(prefixes, key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return tuple(sorted(kept))


def scope_for(user, action: str) -> Scope:
    """The scope of `user` for `action`, computed once per request and cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(False, ())
    client = getattr(user, "api_client", None)
    if client is not None:
        # A sharing API client (sharing.auth.ClientPrincipal) reads its region subtree and does nothing else.
        return Scope(False, (client.region_id,)) if action == Action.VIEW else Scope(False, ())
    if user.is_superuser:
        return Scope(True, ())
    cache = user.__dict__.setdefault("_region_scope_cache", {})
    if action not in cache:
        roles = ACTION_ROLES.get(action, frozenset())
        codes = {region_id for region_id, role in user.region_roles.values_list("region_id", "role") if role in roles}
        cache[action] = Scope(False, _minimal(codes))
    return cache[action]


def can(user, action: str, region_code: str | None) -> bool:
    """May `user` do `action` on objects of the region `region_code`?"""
    return scope_for(user, action).covers(region_code)


def region_q(scope: Scope, field: str) -> Q:
    """A Q object keeping rows whose `field` (a region code column) lies in the scope."""
    if scope.everything:
        return Q()
    if not scope.prefixes:
        return Q(pk__in=[])
    ranges = [Q(**{f"{field}__gte": low, f"{field}__lt": high}) for low, high in map(prefix_bounds, scope.prefixes)]
    return reduce(or_, ranges)


def restrict(queryset: models.QuerySet, user, action: str = Action.VIEW, field: str | None = None) -> models.QuerySet:
    """Narrow `queryset` to the rows `user` may `action`; the model names its region column in REGION_FIELD."""
    field = field or getattr(queryset.model, "REGION_FIELD", "region")
    column = field if field == "code" or field.endswith("_id") or "__" in field else f"{field}_id"
    return queryset.filter(region_q(scope_for(user, action), column))


class RegionScopedQuerySet(models.QuerySet):
    """Base queryset of every region-owned model: `.restrict(user, action)` is the only way views narrow."""

    def restrict(self, user, action: str = Action.VIEW) -> "RegionScopedQuerySet":
        return restrict(self, user, action)
