from django.db.models import CharField, Value

from .access import ACTION_ROLES, DEPARTMENT_ACTION_ROLES, permitted_actions
from .choices import Action, DepartmentRole, Role
from .models import DepartmentMembership, RegionRole


def _held(user) -> list[tuple[str, str, str, str]]:
    """(kind, place code, place name, role) of every region role and active department role, in one query."""
    kind = Value("region", output_field=CharField())
    roles = RegionRole.objects.filter(user=user).values_list(kind, "region_id", "region__name", "role")
    kind = Value("department", output_field=CharField())
    departments = DepartmentMembership.objects.filter(user=user, department__is_active=True)
    departments = departments.values_list(kind, "department__region_id", "department__name", "role")
    return sorted(roles.union(departments, all=True), key=lambda h: (h[0] != "region", h[1], h[2]))


MATCHING_ROLES = ACTION_ROLES[Action.MANAGE_RULES]


def user_regions(request) -> dict:
    """The signed-in user's roles and regions for the page header, and which navigation items they may use.

    `user_may_upload` / `user_may_review` / `user_may_share` / `user_may_match` say whether `scope_for(user,
    Action.UPLOAD / REVIEW / ADMINISTER / VIEW or MANAGE_RULES)` is not empty, decided from the roles loaded here
    (the same ACTION_ROLES) so the header costs one query. `user_may` holds every action the user may do somewhere
    (`access.permitted_actions`, the same role tables as scope_for): `user_may.view`, `user_may.manage_rules` ..."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    held = _held(user)
    area_held = any(kind == "region" and len(code) >= 12 for kind, code, _n, _r in held)
    region_roles = {role for kind, _c, _n, role in held if kind == "region"}
    department_roles = {role for kind, _c, _n, role in held if kind == "department"}
    labels = [
        f"{name} · {Role(role).label if kind == 'region' else DepartmentRole(role).label}"
        for kind, _code, name, role in held
    ]
    permitted = permitted_actions(region_roles, department_roles, superuser=user.is_superuser)
    return {
        "user_role_labels": labels,
        "user_may": {action: action in permitted for action in Action.values},
        "user_is_officer": bool(region_roles & {Role.OFFICER, Role.PLATFORM_ADMIN}) or user.is_superuser,
        "user_is_department": bool(department_roles),
        "user_may_review": user.is_superuser
        or bool(region_roles & ACTION_ROLES[Action.REVIEW])
        or bool(department_roles & DEPARTMENT_ACTION_ROLES[Action.REVIEW]),
        # 数据上报 only for those the upload page serves (collectors, department uploaders): an officer's link
        # answered 403 (issue 15 item 8)
        "user_may_upload": user.is_superuser
        or bool(region_roles & ACTION_ROLES[Action.UPLOAD])
        or bool(department_roles & DEPARTMENT_ACTION_ROLES[Action.UPLOAD]),
        "user_may_share": user.is_superuser or bool(region_roles & ACTION_ROLES[Action.ADMINISTER]),
        "user_may_grid": area_held or Role.GRID_WORKER in region_roles,
        "user_may_audit": user.is_superuser or bool(region_roles & ACTION_ROLES[Action.AUDIT]),
        "user_may_match": user.is_superuser
        or bool(region_roles & (ACTION_ROLES[Action.VIEW] | MATCHING_ROLES))
        or bool(department_roles & DEPARTMENT_ACTION_ROLES[Action.VIEW]),
    }
