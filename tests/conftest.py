"""Shared fixtures: the region tree and the real catalog (loaded once per session), a small cast of users.

Writing tests
-------------
- The region tree of 烟台市 (fixtures/regions/) and the real catalog (fixtures/catalog/) are loaded ONCE, into the
  test database right after its migrations (`django_db_setup` below). Every test that uses the database sees them
  for free; request `regions` or `catalog` to say that a test relies on them (they cost nothing). Never call
  `load_divisions()` or `load_catalog()` to get them: that reloads ~2,000 catalog rows (about a second) per test.
- A test that changes the catalog or the regions does so inside its own transaction (an ordinary `db` test is
  rolled back), or works on a source of its own: `empty_catalog` (the catalog tables emptied for this test),
  `small_source` and `real_source_copy` in tests/catalog/conftest.py.
- `specs`: the real catalog's TableSpecs by subcategory code (built once).
- Users (each holds exactly one role): `collector_a` collector of 东山街道 (TOWNSHIP_A 370602002); `officer_a` data
  officer of 芝罘区 (COUNTY_A 370602), A's county; `collector_b` collector of 向阳街道 (TOWNSHIP_B 370602001), who must
  see nothing of A's; `other_county_officer` officer of 福山区 (OTHER_COUNTY 370611); `city_officer` officer of 烟台市
  (3706); `platform_admin` platform administrator (3706, is_staff). `make_user(...)` builds another one.
  All have the password PASSWORD; `login(client, user)` signs a test client in through the login form.
- Transactional tests (`transaction=True`, `transactional_db`, `live_server`) commit for real, and Django empties
  every table after each of them; the reference data is loaded again right after that flush
  (`pytest_runtest_teardown` below), so the order of tests never matters. They cost about a second more each: use
  them only when the test needs real commits (other threads or processes, the live server, `on_commit`).
- `sample_villages`: 3 sample villages with 3 grids each under TOWNSHIP_A and TOWNSHIP_B (regions.samples), made in
  the test's transaction: VILLAGE_A 370602002901 东山街道示例社区01, GRID_A 370602002901001 东山街道示例社区01第01网格,
  GRID_A2 370602002902002, GRID_B 370602001901001 向阳街道示例社区01第01网格.
- In-process caches: after every test the catalog spec cache holds the real catalog's specs again, whatever the
  test loaded or cleared.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from catalog import specs_build
from catalog.loader import LoadReport, load_catalog
from catalog.models import CatalogVersion, Category, CodeTable, CodeValue, DataElement, DataItem, Domain, Subcategory
from catalog.specs_build import current_specs
from regions.choices import Role
from regions.loader import load_divisions
from regions.models import Region, RegionRole

TOWNSHIP_A = "370602002"
TOWNSHIP_B = "370602001"
COUNTY_A = "370602"
OTHER_COUNTY = "370611"
PASSWORD = "Test-pass-2026!"
VILLAGE_A, GRID_A, GRID_A2 = "370602002901", "370602002901001", "370602002902002"
VILLAGE_B, GRID_B = "370602001901", "370602001901001"

# Unscoped reads of region-owned models raise in the suite; querysets built by the test modules themselves (assertions
# reading the database) are exempt, those built by the project code under test are not (regions/scoping.py).
settings.REGION_SCOPE_ENFORCEMENT = "raise"
settings.REGION_SCOPE_TEST_CALLERS = (str(Path(__file__).resolve().parent) + "/",)

# Filled by django_db_setup: the db blocker, the catalog's LoadReport, the spec-cache entry of the real catalog.
_session: dict = {}


def load_reference_data() -> None:
    """Load the regions and the real catalog (committed) and remember the catalog's specs as the cache entry every
    test starts with."""
    load_divisions()
    report = load_catalog()
    _session.setdefault("catalog_report", report)  # the first load's report says what the catalog holds
    specs_build.clear_spec_cache()
    current_specs()
    _session["spec_cache"] = dict(specs_build._cache)


def restore_spec_cache() -> None:
    """Put back the real catalog's specs, so no test inherits specs another test built from an edited catalog."""
    if "spec_cache" in _session:
        with specs_build._cache_lock:
            specs_build._cache.update(_session["spec_cache"])


def reference_data_present() -> bool:
    return Region.objects.exists() and CatalogVersion.objects.filter(is_current=True).exists()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, plus the region tree and the real catalog, loaded once for the session."""
    with django_db_blocker.unblock():
        load_reference_data()
    _session["blocker"] = django_db_blocker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test, Django has flushed every table: load the reference data again (not after the
    last test, whose teardown also drops the database)."""
    result = yield
    blocker = _session.get("blocker")
    if blocker is not None and nextitem is not None:
        with blocker.unblock():
            if not reference_data_present():
                load_reference_data()
    restore_spec_cache()
    return result


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Argon2 costs ~100 MB and up to a second per hash by design; tests use a fast hasher instead.
    tests/test_auth.py checks that the project's real setting hashes with Argon2."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def regions(db) -> None:
    """The region tree of 烟台市 (fixtures/regions/yantai_divisions.csv): loaded once per session, free."""


@pytest.fixture
def catalog(db) -> LoadReport:
    """The real catalog (fixtures/catalog/): loaded once per session, free; its LoadReport from that load."""
    return _session["catalog_report"]


@pytest.fixture
def specs(db) -> dict:
    """The real catalog's active subcategories as TableSpecs (plain dataclasses) keyed by code, built once."""
    return _session["spec_cache"]["specs"]


@pytest.fixture
def sample_villages(regions) -> None:
    """Sample villages and grids under TOWNSHIP_A and TOWNSHIP_B (3 villages x 3 grids each), this test only."""
    from regions.samples import generate_sample_villages

    generate_sample_villages([TOWNSHIP_A, TOWNSHIP_B], villages=3, grids=3)


CATALOG_MODELS = (DataItem, Subcategory, Category, Domain, DataElement, CodeValue, CodeTable, CatalogVersion)


@pytest.fixture
def empty_catalog(db) -> None:
    """No catalog at all, for tests that load one of their own: the catalog tables are emptied inside this test's
    transaction (rolled back at its end)."""
    for model in CATALOG_MODELS:
        model.objects.all()._raw_delete(model.objects.db)
    specs_build.clear_spec_cache()


def make_user(username: str, role: str | None = None, region: str | None = None, **extra):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        RegionRole.objects.create(user=user, region_id=region, role=role)
    return user


def login(client, user):
    """`client` signed in as `user` through the authentication backends (as the login form does)."""
    assert client.login(username=user.username, password=PASSWORD)
    return client


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
