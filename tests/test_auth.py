"""Web sign-in: Chinese login and logout, Argon2 password hashes, and lockout after repeated failures."""

from django.contrib.auth import get_user_model

from grassroots import settings as project_settings
from tests.conftest import PASSWORD, make_user

LOGIN = "/accounts/login/"


def attempt(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_the_login_page_is_in_chinese(client, db):
    page = client.get(LOGIN).content.decode()
    assert "<h1>登录</h1>" in page and "用户名" in page and "密码" in page
    assert '<html lang="zh-CN">' in page


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_user_signs_in_and_sees_the_home_page_with_their_name(client, collector_a):
    collector_a.first_name = "王采集"
    collector_a.save()
    response = attempt(client, "collector_a", PASSWORD)
    assert response.status_code == 302
    home = client.get(response["Location"]).content.decode()
    assert "王采集" in home and "东山街道 · 采集员" in home


def test_a_wrong_password_shows_a_chinese_error(client, collector_a):
    response = attempt(client, "collector_a", "wrong")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_signing_out_ends_the_session(client, collector_a):
    client.force_login(collector_a)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get("/").status_code == 302


def test_passwords_are_hashed_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # the suite swaps in a fast hasher
    user = get_user_model().objects.create_user("someone", password="A-long-pass-2026")
    assert user.password.startswith("argon2$argon2id$")


def test_five_failures_lock_the_account_out_with_a_chinese_page(client, collector_a):
    for _ in range(4):
        assert attempt(client, "collector_a", "wrong").status_code == 200
    locked = attempt(client, "collector_a", "wrong")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode() and "15 分钟" in locked.content.decode()


def test_a_locked_out_user_cannot_sign_in_even_with_the_right_password(client, collector_a):
    for _ in range(5):
        attempt(client, "collector_a", "wrong")
    assert attempt(client, "collector_a", PASSWORD).status_code == 429
    assert client.get("/").status_code == 302


def test_failures_of_one_user_do_not_lock_out_another(client, collector_a):
    make_user("colleague")
    for _ in range(5):
        attempt(client, "collector_a", "wrong")
    assert attempt(client, "colleague", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_failure_count(client, collector_a):
    for _ in range(4):
        attempt(client, "collector_a", "wrong")
    attempt(client, "collector_a", PASSWORD)
    client.logout()
    for _ in range(4):
        attempt(client, "collector_a", "wrong")
    assert attempt(client, "collector_a", PASSWORD).status_code == 302


def test_the_test_client_can_still_sign_in_without_a_request(client, collector_a):
    assert client.login(username="collector_a", password=PASSWORD)
