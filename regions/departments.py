"""Departments (部门) and their members: which subcategories a department acts for, and the state changes.

A department's subcategories are those whose 数源部门 in the catalog is the department's `catalog_name`, plus its
`extra_subcategories`. The catalog sits above regions, so it answers through a source it registers at start-up
(catalog/apps.py calls `register_catalog_source`); regions never imports the catalog.
"""

from collections.abc import Callable, Iterable

from django.db import transaction

from .choices import DepartmentRole, RegionLevel
from .models import Department, DepartmentMembership, Region
from .roles import department_settings, record_department_change, record_role_change, record_role_removal

# department names (数源部门) -> {name: subcategory codes}; filled by the catalog app at start-up.
CatalogSource = Callable[[Iterable[str]], dict[str, set[str]]]
_catalog_sources: list[CatalogSource] = []


def register_catalog_source(source: CatalogSource) -> None:
    """Called once by the catalog app: `source(names)` maps 数源部门 names to the codes of their subcategories."""
    if source not in _catalog_sources:
        _catalog_sources.append(source)


def catalog_subcategories(names: Iterable[str]) -> dict[str, set[str]]:
    """{数源部门 name: subcategory codes} from the registered catalog (empty before a catalog registered)."""
    names = sorted({n for n in names if n})
    found: dict[str, set[str]] = {name: set() for name in names}
    for source in _catalog_sources:
        for name, codes in source(names).items():
            found.setdefault(name, set()).update(codes)
    return found


def subcategories_of(department: Department) -> frozenset[str]:
    """Every subcategory code the department acts for: its catalog ones and its extra grants."""
    from_catalog = catalog_subcategories([department.catalog_name]).get(department.catalog_name, set())
    return frozenset(from_catalog) | frozenset(department.extra_subcategories or ())


def departments_of(user, role: str | None = None):
    """The active departments `user` belongs to (as `role` when given), each once."""
    if user is None or not user.is_authenticated:
        return Department.objects.none()
    memberships = user.department_memberships.all()
    if role:
        memberships = memberships.filter(role=role)
    return Department.objects.filter(is_active=True, pk__in=memberships.values("department_id")).order_by("name")


def _department_region(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None or region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
        raise ValueError(f"部门的区划应为全市或一个县（市、区），{code} 不是。")
    return region


@transaction.atomic
def save_department(
    name: str, *, region_code: str, acting_user, source_department: str = "", extra_subcategories=()
) -> Department:
    """Create or update the department called `name` (the admin and create_demo_users call this)."""
    region = _department_region(region_code)
    old = Department.objects.filter(name=name).first()
    department, _ = Department.objects.update_or_create(
        name=name,
        defaults={
            "region": region,
            "source_department": source_department,
            "extra_subcategories": sorted({c.strip().upper() for c in extra_subcategories if c.strip()}),
        },
    )
    before = department_settings(old) if old else None
    if before != department_settings(department):
        record_department_change(department, before, acting_user=acting_user)
    return department


@transaction.atomic
def add_member(department: Department, user, role: str, *, acting_user) -> DepartmentMembership:
    """Give `user` the department role `role` (部门用户 or 部门审核员); idempotent."""
    if role not in DepartmentRole.values:
        raise ValueError(f"未知的部门角色 {role}")
    membership, created = DepartmentMembership.objects.get_or_create(user=user, department=department, role=role)
    if created:
        record_role_change(membership, acting_user=acting_user)
    return membership


@transaction.atomic
def remove_member(membership: DepartmentMembership, *, acting_user) -> None:
    """Take a department role away from its user."""
    record_role_removal(membership, acting_user=acting_user)
    membership.delete()
