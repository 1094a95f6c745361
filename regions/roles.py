"""Granting and revoking roles (region roles, department roles, the administrator flags), each written to the audit
trail. The admin site saves these objects through its forms; its save hooks call the functions here, so a grant
made there is recorded exactly like one made in code."""

from django.db import transaction

from .audit import record_event
from .choices import AuditVerb
from .models import Department, DepartmentMembership, RegionRole

# The account flags that are roles too: staff (管理后台), superuser, and whether the account may sign in at all.
ADMIN_FLAGS = ("is_superuser", "is_staff", "is_active")


def _holder(user) -> dict:
    return {"obj": user, "label": f"用户 {user.get_username()}"}


def _role(role: RegionRole | DepartmentMembership) -> dict:
    if isinstance(role, DepartmentMembership):
        return {"role": role.role, "department": role.department.name}
    return {"role": role.role, "region": role.region_id}


def _region(role: RegionRole | DepartmentMembership) -> str:
    return role.department.region_id if isinstance(role, DepartmentMembership) else role.region_id


def record_role_change(role: RegionRole | DepartmentMembership, *, acting_user, before: dict | None = None) -> None:
    """Record that `role` was granted (or changed from `before`, the role's summary before the change)."""
    record_event(
        AuditVerb.GRANT_ROLE, actor=acting_user, **_holder(role.user), region=_region(role),
        before=before, after=_role(role),
    )  # fmt: skip


def record_role_removal(role: RegionRole | DepartmentMembership, *, acting_user) -> None:
    """Record that `role` was taken away (call before deleting it)."""
    record_event(AuditVerb.REVOKE_ROLE, actor=acting_user, **_holder(role.user), region=_region(role),
                 before=_role(role))  # fmt: skip


@transaction.atomic
def grant_role(user, region_code: str, role: str, *, acting_user) -> RegionRole:
    """Give `user` the region role `role` in `region_code` (idempotent: granting twice records once)."""
    region_role, created = RegionRole.objects.get_or_create(user=user, region_id=region_code, role=role)
    if created:
        record_role_change(region_role, acting_user=acting_user)
    return region_role


@transaction.atomic
def revoke_role(region_role: RegionRole, *, acting_user) -> None:
    """Take a region role away from its user."""
    record_role_removal(region_role, acting_user=acting_user)
    region_role.delete()


def record_flag_change(user, before: dict, *, acting_user) -> None:
    """Record a change of the account's administrator flags (`before`: the flags as they were); nothing if none
    changed."""
    after = {flag: getattr(user, flag) for flag in ADMIN_FLAGS}
    if after == before:
        return
    granted = any(after[f] and not before.get(f) for f in ADMIN_FLAGS)
    record_event(
        AuditVerb.GRANT_ROLE if granted else AuditVerb.REVOKE_ROLE, actor=acting_user, **_holder(user),
        before=before, after=after,
    )  # fmt: skip


def record_department_change(department: Department, before: dict | None, *, acting_user) -> None:
    """Record a department's settings as saved (`before`: its settings before, None when it was created)."""
    record_event(
        AuditVerb.CHANGE_DEPARTMENT, actor=acting_user, obj=department, region=department.region_id,
        label=f"部门 {department.name}", before=before, after=department_settings(department),
    )  # fmt: skip


def department_settings(department: Department) -> dict:
    """The settings of a department the audit trail compares."""
    return {
        "name": department.name,
        "source_department": department.source_department,
        "region": department.region_id,
        "extra_subcategories": list(department.extra_subcategories or []),
        "is_active": department.is_active,
    }
