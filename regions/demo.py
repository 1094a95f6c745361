"""Demo users, one per role, so a fresh installation can be tried at once (`manage.py create_demo_users`)."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from .choices import DepartmentRole, Role
from .departments import add_member, save_department
from .models import Region
from .roles import ADMIN_FLAGS, grant_role, record_flag_change
from .samples import generate_sample_villages


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    role: str
    region: str
    is_staff: bool = False
    department: str = ""  # a department role (role is a DepartmentRole) in this department, bound to `region`


DEMO_USERS = (
    DemoUser("demo_collector", "东山街道采集员", Role.COLLECTOR, "370602002"),
    # A village collector and a grid worker in the sample villages of 东山街道 (Makefile SAMPLE_TOWNSHIPS).
    DemoUser("demo_village_collector", "东山街道示例社区采集员", Role.COLLECTOR, "370602002901"),
    DemoUser("demo_grid_worker", "东山街道示例社区网格员", Role.GRID_WORKER, "370602002901001"),
    DemoUser("demo_officer", "芝罘区核验员", Role.OFFICER, "370602"),
    DemoUser("demo_city_officer", "烟台市核验员", Role.OFFICER, "3706"),
    DemoUser("demo_catalog_admin", "目录管理员", Role.CATALOG_ADMIN, "3706"),
    DemoUser("demo_rules_admin", "规则管理员", Role.RULES_ADMIN, "3706"),
    DemoUser("demo_admin", "平台管理员", Role.PLATFORM_ADMIN, "3706", is_staff=True),
    DemoUser("demo_department", "市医保局部门用户", DepartmentRole.UPLOADER, "3706", department="市医保局"),
    DemoUser("demo_department_reviewer", "市医保局部门审核员", DepartmentRole.REVIEWER, "3706", department="市医保局"),
)


@dataclass(frozen=True)
class DemoResult:
    spec: DemoUser
    password: str | None  # the new random password, or None when the user already existed


def _sample_regions_of_demo_users() -> None:
    """The sample villages and grids the demo users work in (as `make setup` generates them), when missing."""
    missing = {u.region for u in DEMO_USERS} - set(Region.objects.values_list("code", flat=True))
    townships = sorted({code[:9] for code in missing if len(code) > 9})
    if townships:
        generate_sample_villages(townships, villages=5, grids=3)


@transaction.atomic
def create_demo_users() -> list[DemoResult]:
    """Create the missing demo users with random passwords; existing users are left exactly as they are.

    The platform administrator is also a Django superuser, so the admin site is usable out of the box.
    """
    results = []
    _sample_regions_of_demo_users()
    for spec in DEMO_USERS:
        user_model = get_user_model()
        if user_model.objects.filter(username=spec.username).exists():
            results.append(DemoResult(spec, None))
            continue
        password = secrets.token_urlsafe(12)
        user = user_model.objects.create_user(
            username=spec.username,
            password=password,
            first_name=spec.first_name,
            is_staff=spec.is_staff,
            is_superuser=spec.is_staff,
        )
        if spec.is_staff:  # the demo administrator: the flags are granted
            record_flag_change(user, {**dict.fromkeys(ADMIN_FLAGS, False), "is_active": True}, acting_user=None)
        if spec.department:
            department = save_department(spec.department, region_code=spec.region, acting_user=None)
            add_member(department, user, spec.role, acting_user=None)
        else:
            grant_role(user, spec.region, spec.role, acting_user=None)
        results.append(DemoResult(spec, password))
    return results
