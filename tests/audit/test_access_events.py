"""Role grants and revocations (in code and in the admin, administrator flags included), department settings, user
tokens and API clients each write their audit event with the acting user and the region."""

import io

import pytest
from django.core.management import call_command

from regions.choices import ActorKind, AuditVerb, DepartmentRole, Role
from regions.departments import add_member, remove_member, save_department
from regions.models import AuditEvent, Department, DepartmentMembership, RegionRole
from regions.roles import grant_role, revoke_role
from regions.tokens import issue_user_token, revoke_user_token
from sharing.clients import create_client, revoke_client, rotate_token
from tests.conftest import COUNTY_A, TOWNSHIP_A, make_user
from tests.sharing.conftest import make_client

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


@pytest.fixture
def superuser(platform_admin):
    platform_admin.is_superuser = True
    platform_admin.save()
    return platform_admin


def test_granting_and_revoking_a_region_role_in_code_is_recorded(platform_admin, collector_a):
    role = grant_role(collector_a, COUNTY_A, Role.OFFICER, acting_user=platform_admin)
    grant_role(collector_a, COUNTY_A, Role.OFFICER, acting_user=platform_admin)  # already held: nothing new
    revoke_role(role, acting_user=platform_admin)
    (granted,) = events(AuditVerb.GRANT_ROLE)
    (revoked,) = events(AuditVerb.REVOKE_ROLE)
    assert (granted.actor_user, granted.region_id, granted.object_id) == (platform_admin, COUNTY_A, str(collector_a.pk))
    assert granted.after == {"role": "officer", "region": COUNTY_A} and revoked.before == granted.after


def test_a_role_granted_on_the_users_admin_page_is_recorded(client, superuser, collector_a):
    client.force_login(superuser)
    page = f"/admin/auth/user/{collector_a.pk}/change/"
    role = collector_a.region_roles.get()
    data = {
        "username": "collector_a", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "is_active": "on",
        "region_roles-TOTAL_FORMS": "2", "region_roles-INITIAL_FORMS": "1",
        "region_roles-0-id": role.pk, "region_roles-0-user": collector_a.pk, "region_roles-0-region": TOWNSHIP_A,
        "region_roles-0-role": Role.COLLECTOR, "region_roles-0-DELETE": "on",
        "region_roles-1-user": collector_a.pk, "region_roles-1-region": COUNTY_A, "region_roles-1-role": Role.OFFICER,
        "department_memberships-TOTAL_FORMS": "0", "department_memberships-INITIAL_FORMS": "0",
    }  # fmt: skip
    assert client.post(page, data).status_code == 302
    assert list(RegionRole.objects.filter(user=collector_a).values_list("role", "region_id")) == [("officer", COUNTY_A)]
    (granted,) = events(AuditVerb.GRANT_ROLE)
    (revoked,) = events(AuditVerb.REVOKE_ROLE)
    assert (granted.actor_user, granted.region_id, granted.after["role"]) == (superuser, COUNTY_A, "officer")
    assert (revoked.actor_user, revoked.region_id, revoked.before["role"]) == (superuser, TOWNSHIP_A, "collector")


def test_making_a_user_superuser_in_the_admin_is_recorded(client, superuser, collector_a):
    client.force_login(superuser)
    data = {
        "username": "collector_a", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "is_active": "on",
        "is_staff": "on", "is_superuser": "on",
        "region_roles-TOTAL_FORMS": "0", "region_roles-INITIAL_FORMS": "0",
        "department_memberships-TOTAL_FORMS": "0", "department_memberships-INITIAL_FORMS": "0",
    }  # fmt: skip
    assert client.post(f"/admin/auth/user/{collector_a.pk}/change/", data).status_code == 302
    (event,) = events(AuditVerb.GRANT_ROLE)
    assert event.actor_user == superuser and event.region_id == "3706"
    assert (event.before["is_superuser"], event.after["is_superuser"], event.after["is_staff"]) == (False, True, True)


def test_a_role_deleted_on_its_admin_page_is_recorded(client, superuser, collector_a):
    client.force_login(superuser)
    role = collector_a.region_roles.get()
    client.post(f"/admin/regions/regionrole/{role.pk}/delete/", {"post": "yes"})
    (event,) = events(AuditVerb.REVOKE_ROLE)
    assert (event.actor_user, event.region_id, event.before["role"]) == (superuser, TOWNSHIP_A, "collector")


def test_department_settings_and_members_are_recorded(platform_admin, collector_a):
    department = save_department("市医保局", region_code="3706", acting_user=platform_admin)
    save_department("市医保局", region_code="3706", acting_user=platform_admin, extra_subcategories=["P0301"])
    membership = add_member(department, collector_a, DepartmentRole.UPLOADER, acting_user=platform_admin)
    remove_member(membership, acting_user=platform_admin)
    created, changed = events(AuditVerb.CHANGE_DEPARTMENT)
    assert created.before is None and created.after["name"] == "市医保局" and created.region_id == "3706"
    assert (changed.before["extra_subcategories"], changed.after["extra_subcategories"]) == ([], ["P0301"])
    (granted,) = events(AuditVerb.GRANT_ROLE)
    (revoked,) = events(AuditVerb.REVOKE_ROLE)
    assert granted.after == {"role": "dept_uploader", "department": "市医保局"} == revoked.before
    assert not DepartmentMembership.objects.exists()


def test_a_department_changed_in_the_admin_is_recorded(client, superuser):
    department = Department.objects.create(name="市医保局", region_id="3706")
    client.force_login(superuser)
    data = {
        "name": "市医保局", "source_department": "", "region": "3706", "is_active": "on", "extra_codes": "P0301",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    }  # fmt: skip
    assert client.post(f"/admin/regions/department/{department.pk}/change/", data).status_code == 302
    (event,) = events(AuditVerb.CHANGE_DEPARTMENT)
    assert (event.actor_user, event.after["extra_subcategories"]) == (superuser, ["P0301"])


def test_the_demo_users_command_records_its_grants_as_the_command_line():
    call_command("create_demo_users", stdout=io.StringIO())
    grants = events(AuditVerb.GRANT_ROLE)
    assert grants and all(e.actor_kind == ActorKind.CLI for e in grants)
    assert all(e.command == "manage.py create_demo_users" for e in grants)


def test_issuing_and_revoking_a_user_token_is_recorded(platform_admin, collector_a):
    token, raw = issue_user_token(collector_a, "夜间脚本", acting_user=platform_admin)
    revoke_user_token(token, acting_user=platform_admin)
    revoke_user_token(token, acting_user=platform_admin)  # already revoked: nothing more
    (issued,) = events(AuditVerb.ISSUE_TOKEN)
    (revoked,) = events(AuditVerb.REVOKE_TOKEN)
    assert issued.actor_user == platform_admin and token.prefix in issued.object_label and raw not in str(issued.after)
    assert revoked.object_id == str(token.pk)


def test_an_api_clients_creation_rotation_and_revocation_are_recorded_in_its_region(platform_admin):
    from catalog.models import Subcategory

    client, raw = create_client(
        name="民政局低保系统", subcategories=Subcategory.objects.filter(code="P0101"), region=COUNTY_A,
        max_sensitivity="internal", acting_user=platform_admin,
    )  # fmt: skip
    old = client.token_prefix
    rotate_token(client, acting_user=platform_admin)
    revoke_client(client, acting_user=platform_admin, note="系统下线")
    (created,) = events(AuditVerb.CREATE_CLIENT)
    (rotated,) = events(AuditVerb.ROTATE_CLIENT_TOKEN)
    (revoked,) = events(AuditVerb.REVOKE_CLIENT)
    assert (created.region_id, created.actor_user, created.after["subcategories"]) == (
        COUNTY_A,
        platform_admin,
        ["P0101"],
    )
    assert rotated.before == {"token_prefix": old} and rotated.after["token_prefix"] == client.token_prefix
    assert (revoked.note, revoked.after["revoked"]) == ("系统下线", True)
    assert raw not in f"{created.after}{rotated.after}"


def test_a_user_granted_nothing_leaves_no_grant_event(regions):
    make_user("nobody")
    assert not events(AuditVerb.GRANT_ROLE)


def test_an_api_client_changed_in_the_admin_is_recorded_with_the_fields_changed(client, superuser):
    from sharing.models import ApiClient

    api_client, _raw = make_client()
    client.force_login(superuser)
    page = client.get(f"/admin/sharing/apiclient/{api_client.pk}/change/")
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data |= {"rate_limit": 60, "subcategories": [s.pk for s in api_client.subcategories.all()], "enabled": "on",
             "region": api_client.region_id, "expires_at_0": "", "expires_at_1": ""}  # fmt: skip
    response = client.post(f"/admin/sharing/apiclient/{api_client.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ApiClient.objects.get(pk=api_client.pk).rate_limit == 60
    (event,) = events(AuditVerb.CHANGE_CLIENT)
    assert (event.actor_user, event.region_id, event.after) == (superuser, COUNTY_A, {"changed": ["rate_limit"]})


def test_a_roster_policy_changed_in_the_admin_is_a_recorded_department_setting(client, superuser):
    from catalog.models import Subcategory

    subcategory = Subcategory.objects.get(code="P0307")
    client.force_login(superuser)
    data = {"subcategory": subcategory.pk, "merge_directly": "on", "note": "市医保局名单直接入库"}
    assert client.post("/admin/collection/rosterpolicy/add/", data).status_code == 302
    (event,) = events(AuditVerb.CHANGE_DEPARTMENT)
    assert (event.actor_user, event.region_id, event.after) == (superuser, "3706", {"merge_directly": True})
    assert event.object_label == "部门名单入库方式 P0307" and event.before is None


def test_a_clients_webhook_registered_and_deleted_through_the_api_is_recorded_with_the_client(settings):
    from tests.sharing.conftest import http

    settings.SHARING_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # a loopback receiver, as tests/sharing allows
    api_client, token = make_client()
    api = http(token)
    response = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook?key=s3cret"}, format="json")
    assert response.status_code == 201, response.json()
    assert api.delete(f"/api/v1/webhooks/{response.json()['id']}/").status_code == 204
    registered, deleted = events(AuditVerb.REGISTER_WEBHOOK) + events(AuditVerb.DELETE_WEBHOOK)
    for event in (registered, deleted):
        assert (event.actor_kind, event.actor_client_id, event.region_id) == (ActorKind.CLIENT, api_client.pk, COUNTY_A)
        assert event.after == {"host": "127.0.0.1"}
