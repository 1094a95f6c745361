import re

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from regions.access import can
from regions.choices import Action, DepartmentRole, Role
from regions.demo import DEMO_USERS
from regions.models import DepartmentMembership, RegionRole


def create_demo_users() -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_demo_users", stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\S+)\s+密码 (\S+)", output, flags=re.MULTILINE))


def test_it_creates_one_demo_user_per_role(regions):
    create_demo_users()
    roles = set(RegionRole.objects.filter(user__username__startswith="demo_").values_list("role", flat=True))
    assert roles == set(Role.values)
    memberships = DepartmentMembership.objects.filter(user__username__startswith="demo_")
    assert set(memberships.values_list("department__name", "role")) == {
        ("市医保局", DepartmentRole.UPLOADER),
        ("市医保局", DepartmentRole.REVIEWER),
    }


def test_it_prints_a_working_random_password_for_each_new_user(regions, rf):
    passwords = printed_passwords(create_demo_users())
    assert len(passwords) == len(DEMO_USERS)
    assert len(set(passwords.values())) == len(DEMO_USERS)
    for username, password in passwords.items():
        assert authenticate(rf.post("/accounts/login/"), username=username, password=password) is not None


def test_a_second_run_keeps_the_users_and_prints_no_password(regions):
    create_demo_users()
    hashes = dict(get_user_model().objects.values_list("username", "password"))
    output = create_demo_users()
    assert printed_passwords(output) == {}
    assert output.count("已存在") == len(DEMO_USERS)
    assert dict(get_user_model().objects.values_list("username", "password")) == hashes


def test_the_demo_users_have_chinese_names_for_the_header(regions):
    create_demo_users()
    names = get_user_model().objects.filter(username__startswith="demo_").values_list("first_name", flat=True)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+", name) for name in names)


def test_the_demo_collector_works_in_dongshan_and_the_officer_in_zhifu(regions):
    create_demo_users()
    users = {u.username: u for u in get_user_model().objects.all()}
    assert can(users["demo_collector"], Action.UPLOAD, "370602002")
    assert not can(users["demo_collector"], Action.UPLOAD, "370602001")
    assert can(users["demo_officer"], Action.REVIEW, "370602001")
    assert not can(users["demo_officer"], Action.REVIEW, "370611001")
    assert can(users["demo_city_officer"], Action.REVIEW, "370611001")
    assert can(users["demo_catalog_admin"], Action.MANAGE_CATALOG, "3706")
    assert can(users["demo_rules_admin"], Action.MANAGE_RULES, "3706")
    assert not can(users["demo_rules_admin"], Action.VIEW, "370602002")


def test_the_village_collector_and_the_grid_worker_work_in_the_sample_villages(regions):
    create_demo_users()
    users = {u.username: u for u in get_user_model().objects.all()}
    village, grid = users["demo_village_collector"], users["demo_grid_worker"]
    assert can(village, Action.CORRECT, "370602002901002") and not can(village, Action.VIEW, "370602002902001")
    assert can(grid, Action.VIEW, "370602002901001") and not can(grid, Action.VIEW, "370602002901002")
    assert not can(grid, Action.UPLOAD, "370602002901001")


def test_only_the_platform_admin_may_enter_the_admin_site(regions):
    create_demo_users()
    staff = get_user_model().objects.filter(is_staff=True).values_list("username", flat=True)
    assert list(staff) == ["demo_admin"]
