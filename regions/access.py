"""The single place that decides which regions (and, for department users, which subcategories) a user may act on.

Every list, detail, export and API endpoint narrows its queryset with `restrict(user, action)` (through
`RegionScopedQuerySet.restrict`), and every single-region decision asks `can(user, action, code[, subcategory])`.
A role held in a region covers the region's whole subtree (a code prefix), for every subcategory. A department role
(部门用户, 部门审核员) covers the department's region subtree for the department's subcategories only: such a grant
counts where the object names its subcategory (the model's SUBCATEGORY_FIELD, or `subcategory=` of `can`) and
nowhere else; and for objects owned by a department (the model's DEPARTMENT_FIELD, e.g. a matching rule's work-list
entries), for the department's own objects in its region.

Village (村/社区) and grid users hold the same roles lower down: a collector of a village, a 网格员 (grid worker) of a
grid. Their prefix is the village's or grid's code, so they see exactly the records placed in their subtree (records
are region-owned by their place) and the work-list entries of those records; a correction from the field
(Action.CORRECT) is decided by the record's place.
"""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

from .choices import Action, DepartmentRole, Role
from .models import prefix_bounds
from .scoping import RegionScopedQuerySet

# Which roles allow which action; platform administrators may do everything in their subtree.
ACTION_ROLES: dict[str, frozenset[str]] = {
    Action.VIEW: frozenset({Role.COLLECTOR, Role.OFFICER, Role.GRID_WORKER, Role.PLATFORM_ADMIN}),
    Action.UPLOAD: frozenset({Role.COLLECTOR, Role.PLATFORM_ADMIN}),
    Action.REVIEW: frozenset({Role.OFFICER, Role.PLATFORM_ADMIN}),
    Action.MANAGE_CATALOG: frozenset({Role.CATALOG_ADMIN, Role.PLATFORM_ADMIN}),
    Action.ADMINISTER: frozenset({Role.PLATFORM_ADMIN}),
    # Matching rules are city-wide data, not region-owned: a rules administrator's region only says who they are.
    Action.MANAGE_RULES: frozenset({Role.RULES_ADMIN, Role.PLATFORM_ADMIN}),
    # Work-list entries are checked door to door by the township and village collectors and the grid workers.
    Action.HANDLE_ENTRIES: frozenset({Role.COLLECTOR, Role.GRID_WORKER, Role.PLATFORM_ADMIN}),
    # A correction of one record reported from the field, decided by the record's place (a grid worker's grid).
    Action.CORRECT: frozenset({Role.COLLECTOR, Role.GRID_WORKER, Role.PLATFORM_ADMIN}),
    # The audit trail of a region: its platform administrators, and its data officers (who answer for it).
    Action.AUDIT: frozenset({Role.OFFICER, Role.PLATFORM_ADMIN}),
}
# Department roles: their members view, and upload or review, only their department's subcategories.
DEPARTMENT_ACTION_ROLES: dict[str, frozenset[str]] = {
    Action.VIEW: frozenset({DepartmentRole.UPLOADER, DepartmentRole.REVIEWER}),
    Action.UPLOAD: frozenset({DepartmentRole.UPLOADER}),
    Action.REVIEW: frozenset({DepartmentRole.REVIEWER}),
}


@dataclass(frozen=True)
class Scope:
    """The region subtrees a user may act on for one action: everything, or a set of code prefixes; plus `limited`,
    subtrees granted for some subcategories only (department roles), as (prefix, subcategory codes) pairs."""

    everything: bool
    prefixes: tuple[str, ...]
    limited: tuple[tuple[str, frozenset[str]], ...] = ()
    # (region prefix, the department's names: its own and the 数源部门 it acts for) of the user's departments
    owned: tuple[tuple[str, frozenset[str]], ...] = ()

    def covers(self, code: str | None, subcategory: str | None = None) -> bool:
        """Is region `code` in scope (for objects of `subcategory`; without one, department grants do not count)?"""
        if self.everything:
            return True
        if not code:
            return False
        if any(code.startswith(p) for p in self.prefixes):
            return True
        return bool(subcategory) and any(code.startswith(p) and subcategory in s for p, s in self.limited)

    @property
    def empty(self) -> bool:
        return not self.everything and not self.prefixes and not self.limited and not self.owned

    @property
    def subcategories(self) -> frozenset[str]:
        """The subcategories of the department grants (empty for region roles, which hold them all)."""
        return frozenset().union(*(codes for _p, codes in self.limited))


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
        cache[action] = _scope_from_grants(user, action)
    return cache[action]


def _scope_from_grants(user, action: str) -> Scope:
    """One query reads the user's region roles and department memberships (LEFT JOINs of both); the catalog is
    asked for department subcategories only when the user holds a department role for this action."""
    from django.contrib.auth import get_user_model

    roles, department_roles = ACTION_ROLES.get(action, frozenset()), DEPARTMENT_ACTION_ROLES.get(action, frozenset())
    department = "department_memberships__department__"
    rows = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values_list(
            "region_roles__region_id",
            "region_roles__role",
            "department_memberships__role",
            f"{department}is_active",
            f"{department}region_id",
            f"{department}name",
            f"{department}source_department",
            f"{department}extra_subcategories",
        )
    )
    codes, departments = set(), {}
    for region_id, role, department_role, active, *held in rows:
        if role in roles:
            codes.add(region_id)
        if department_role in department_roles and active:
            departments[held[1]] = held
    return Scope(
        False, _minimal(codes), _department_grants(departments.values(), codes), _owned(departments.values(), codes)
    )


def _owned(departments, region_codes: set) -> tuple[tuple[str, frozenset[str]], ...]:
    """(region prefix, department names) of these departments, leaving out subtrees a region role already covers."""
    covered = _minimal(region_codes)
    return tuple(
        (region, frozenset(n for n in (name, source) if n))
        for region, name, source, _extra in sorted(departments)
        if not any(region.startswith(p) for p in covered)
    )


def _department_grants(departments, region_codes: set) -> tuple[tuple[str, frozenset[str]], ...]:
    """(region prefix, subcategory codes) of these departments, given as (region, name, source, extra) tuples,
    leaving out subtrees a region role already covers."""
    if not departments:
        return ()
    from .departments import catalog_subcategories

    catalog = catalog_subcategories(source or name for _region, name, source, _extra in departments)
    by_region: dict[str, set[str]] = {}
    for region, name, source, extra in departments:
        codes = catalog.get(source or name, set()) | set(extra or ())
        by_region.setdefault(region, set()).update(codes)
    covered = _minimal(region_codes)
    return tuple(
        (code, frozenset(subs))
        for code, subs in sorted(by_region.items())
        if subs and not any(code.startswith(p) for p in covered)
    )


def permitted_actions(region_roles, department_roles=(), *, superuser: bool = False) -> frozenset[str]:
    """The actions for which a user holding these roles has a scope at all (`scope_for(user, action)` not empty): what
    the navigation, the home page's tiles and the pages' buttons offer, so no link leads to a page that refuses the
    user. The same role tables as scope_for; an inactive department's roles are not passed."""
    if superuser:
        return frozenset(Action.values)
    region_roles, department_roles = set(region_roles), set(department_roles)
    return frozenset(
        action
        for action in Action.values
        if region_roles & ACTION_ROLES.get(action, frozenset())
        or department_roles & DEPARTMENT_ACTION_ROLES.get(action, frozenset())
    )


def can(user, action: str, region_code: str | None, subcategory: str | None = None) -> bool:
    """May `user` do `action` on objects of the region `region_code` (and of the subcategory with that code)?"""
    return scope_for(user, action).covers(region_code, subcategory)


def _ranges(prefixes, field: str) -> list[Q]:
    return [Q(**{f"{field}__gte": low, f"{field}__lt": high}) for low, high in map(prefix_bounds, prefixes)]


def region_q(scope: Scope, field: str, subcategory_field: str | None = None, department_field: str | None = None) -> Q:
    """A Q object keeping rows whose `field` (a region code column) lies in the scope; department grants count
    only with `subcategory_field` (the column or path holding the row's subcategory code) or `department_field`
    (the path holding the name of the department owning the row)."""
    if scope.everything:
        return Q()
    parts = _ranges(scope.prefixes, field)
    if subcategory_field:
        for prefix, codes in scope.limited:
            parts.append(_ranges([prefix], field)[0] & Q(**{f"{subcategory_field}__in": sorted(codes)}))
    if department_field:
        for prefix, names in scope.owned:
            parts.append(_ranges([prefix], field)[0] & Q(**{f"{department_field}__in": sorted(names)}))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def restrict(queryset: models.QuerySet, user, action: str = Action.VIEW, field: str | None = None) -> models.QuerySet:
    """Narrow `queryset` to the rows `user` may `action`; the model names its region column in REGION_FIELD and,
    when its rows belong to a subcategory, the path to the subcategory code in SUBCATEGORY_FIELD; when they belong
    to a department, the path to its name in DEPARTMENT_FIELD."""
    model_field = getattr(queryset.model, "REGION_FIELD", "region")
    own_field = field in (None, model_field)
    subcategory_field = getattr(queryset.model, "SUBCATEGORY_FIELD", None) if own_field else None
    department_field = getattr(queryset.model, "DEPARTMENT_FIELD", None) if own_field else None
    field = field or model_field
    column = field if field == "code" or field.endswith("_id") or "__" in field else f"{field}_id"
    restricted = queryset.filter(region_q(scope_for(user, action), column, subcategory_field, department_field))
    if isinstance(restricted, RegionScopedQuerySet):
        restricted._region_scope = action
    return restricted


def department_regions(user, action: str, subcategory: str | None = None) -> tuple[str, ...]:
    """The region codes where `user` holds a department grant for `action` (for `subcategory` when given): where a
    department user may upload a city- or county-wide file."""
    return tuple(p for p, codes in scope_for(user, action).limited if subcategory is None or subcategory in codes)
