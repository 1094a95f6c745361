from io import StringIO

from django.core.management import call_command

from regions.models import ApiToken
from regions.tokens import issue_user_token


def test_the_admin_lists_regions_roles_and_tokens_for_the_platform_admin(client, platform_admin):
    platform_admin.is_superuser = True
    platform_admin.save()
    client.force_login(platform_admin)
    for url in ["/admin/regions/region/", "/admin/regions/regionrole/", "/admin/regions/apitoken/"]:
        assert client.get(url).status_code == 200, url
    assert client.get(f"/admin/auth/user/{platform_admin.pk}/change/").status_code == 200


def test_a_token_is_revoked_from_the_admin(client, platform_admin, collector_a):
    platform_admin.is_superuser = True
    platform_admin.save()
    token, _ = issue_user_token(collector_a, "script")
    client.force_login(platform_admin)
    client.post("/admin/regions/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_a_collector_cannot_enter_the_admin(client, collector_a):
    client.force_login(collector_a)
    assert client.get("/admin/").status_code == 302


def test_third_party_models_have_chinese_names_in_the_admin(client, platform_admin):
    platform_admin.is_superuser = True
    platform_admin.save()
    client.force_login(platform_admin)
    page = client.get("/admin/").content.decode()
    for name in ["登录防护", "登录尝试（锁定计数）", "登录失败记录", "后台任务", "后台任务结果"]:
        assert name in page
    for english in ["Access attempts", "Task Results", "Tasks Database Backend"]:
        assert english not in page


def test_the_chinese_names_leave_the_third_party_migrations_unchanged(db):
    call_command("makemigrations", "axes", "django_tasks_database", "--check", "--dry-run", stdout=StringIO())
