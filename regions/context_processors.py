from .access import ACTION_ROLES
from .choices import Action, Role


def user_regions(request) -> dict:
    """The signed-in user's roles and regions for the page header, and which navigation items they may use.

    `user_may_review` / `user_may_share` say whether `scope_for(user, Action.REVIEW / Action.ADMINISTER)` is not
    empty, decided from the roles loaded here (the same ACTION_ROLES) so the header costs no extra query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = list(user.region_roles.select_related("region").order_by("region_id"))
    labels = [f"{r.region.name} · {r.get_role_display()}" for r in roles]
    held = {r.role for r in roles}
    return {
        "user_role_labels": labels,
        "user_is_officer": any(r.role in (Role.OFFICER, Role.PLATFORM_ADMIN) for r in roles) or user.is_superuser,
        "user_may_review": user.is_superuser or bool(held & ACTION_ROLES[Action.REVIEW]),
        "user_may_share": user.is_superuser or bool(held & ACTION_ROLES[Action.ADMINISTER]),
    }
