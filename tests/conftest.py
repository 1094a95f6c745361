"""Shared fixtures: the region tree and a small cast of users.

collector_a: collector of 东山街道 (370602002); officer_a: data officer of 芝罘区 (370602), A's county;
collector_b: collector of 向阳街道 (370602001), who must see nothing of A's; other_county_officer: officer of 福山区.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from regions.choices import Role
from regions.loader import load_divisions
from regions.models import RegionRole

TOWNSHIP_A = "370602002"
TOWNSHIP_B = "370602001"
COUNTY_A = "370602"
OTHER_COUNTY = "370611"
PASSWORD = "Test-pass-2026!"


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Argon2 costs ~100 MB and up to a second per hash by design; tests use a fast hasher instead.
    tests/test_auth.py checks that the project's real setting hashes with Argon2."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def regions(db):
    load_divisions()


def make_user(username: str, role: str | None = None, region: str | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        RegionRole.objects.create(user=user, region_id=region, role=role)
    return user


@pytest.fixture
def collector_a(regions):
    return make_user("collector_a", Role.COLLECTOR, TOWNSHIP_A)


@pytest.fixture
def collector_b(regions):
    return make_user("collector_b", Role.COLLECTOR, TOWNSHIP_B)


@pytest.fixture
def officer_a(regions):
    return make_user("officer_a", Role.OFFICER, COUNTY_A)


@pytest.fixture
def other_county_officer(regions):
    return make_user("officer_fushan", Role.OFFICER, OTHER_COUNTY)


@pytest.fixture
def city_officer(regions):
    return make_user("officer_city", Role.OFFICER, "3706")


@pytest.fixture
def platform_admin(regions):
    return make_user("platform_admin", Role.PLATFORM_ADMIN, "3706", is_staff=True)
