from .choices import Role


def user_regions(request) -> dict:
    """The signed-in user's roles and regions for the page header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = list(user.region_roles.select_related("region").order_by("region_id"))
    labels = [f"{r.region.name} · {r.get_role_display()}" for r in roles]
    return {
        "user_role_labels": labels,
        "user_is_officer": any(r.role in (Role.OFFICER, Role.PLATFORM_ADMIN) for r in roles) or user.is_superuser,
    }
