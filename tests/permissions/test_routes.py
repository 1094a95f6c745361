"""Every route of the URLconf has permission cases (tests/permissions/harness.py) or a reasoned exemption.

The routes are found by walking the resolver (`get_resolver().url_patterns`, includes followed), never from a list
kept by hand; a route counts as covered when the URL of some `Case` resolves to it. The cases are those of every test
module that calls `permission_tests` (imported here, so a partial run checks the same). A new page or endpoint
without a case fails here, saying where to add one.
"""

import importlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests.permissions.harness import CASES, Context, make_principals

TESTS = Path(__file__).resolve().parents[1]

# Routes without region-owned data or outside the harness's reach, each with its reason.
EXEMPT = {
    "healthz": "health check: no data, open to the load balancer (tests/test_health.py)",
    "accounts/login/": "the login page itself (tests/test_auth.py)",
    "accounts/logout/": "signs out, reads nothing (tests/test_auth.py)",
    "admin/": "Django admin: staff only; region-owned models restricted by regions.admin.RegionScopedAdmin "
    "(tests/regions/test_scoping.py)",
    "api/schema/": "the OpenAPI document: describes endpoints, holds no data",
    "api/docs/": "the interactive API documentation page: no data",
    "api/v1/": "DRF's API root: links to the endpoints, no data",
    "api/v1/catalog/": "DRF's catalog API root: links to the endpoints, no data",
}
EXEMPT_PREFIXES = ("admin/",)
FORMAT_SUFFIX = ("(?P<format>", "<drf_format_suffix:format>")  # DRF's .json variants: the same view and checks


def walk(patterns, prefix: str = ""):
    """(route, name) of every URL pattern, includes followed; routes joined as Django's resolver joins them."""
    for pattern in patterns:
        route = URLResolver._join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name or "?"


def routes() -> dict[str, str]:
    return {
        route: name
        for route, name in walk(get_resolver().url_patterns)
        if not any(marker in route for marker in FORMAT_SUFFIX)
    }


def case_modules() -> list[str]:
    """Every test module that declares permission cases (imported so their CASES are registered)."""
    modules = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if "permission_tests(" in path.read_text(encoding="utf-8"):
            modules.append(".".join(path.relative_to(TESTS.parent).with_suffix("").parts))
    return modules


class Rollback(Exception):
    pass


def case_routes() -> dict[str, list[str]]:
    """{route: [case names]}: each case's URL factory run in a rolled-back savepoint and its URL resolved."""
    for module in case_modules():
        importlib.import_module(module)
    covered: dict[str, list[str]] = {}
    for case in CASES:
        try:
            with transaction.atomic():
                if case.setup is not None:
                    case.setup()
                users = make_principals(case)
                url = case.url(Context(case.region, case.other_region, users))
                raise Rollback(url)
        except Rollback as done:
            url = done.args[0]
        covered.setdefault(resolve(urlsplit(url).path).route, []).append(case.name)
    return covered


def is_exempt(route: str) -> bool:
    return route in EXEMPT or route.startswith(EXEMPT_PREFIXES)


@pytest.mark.django_db
def test_every_route_of_the_urlconf_has_permission_cases_or_a_reasoned_exemption(regions):
    covered = case_routes()
    missing = [f"{route}  ({name})" for route, name in sorted(routes().items()) if route not in covered and not
               is_exempt(route)]  # fmt: skip
    assert not missing, (
        "These routes have no permission case. Add a Case (anonymous, no role, wrong role, other region, own region) "
        "to tests/permissions/test_<app>.py (see tests/permissions/harness.py), or, for a route that holds no "
        "region-owned data, an exemption with its reason to EXEMPT in tests/permissions/test_routes.py:\n  "
        + "\n  ".join(missing)
    )


def test_the_walker_finds_the_routes_of_every_app_and_the_exemptions_exist():
    found = routes()
    for expected in ("collection/batches/<int:pk>/", "basedb/records/<int:pk>/", "api/v1/batches/(?P<pk>[^/.]+)/?$"):
        assert expected in found
    assert not [route for route in EXEMPT if route not in found and not route.startswith(EXEMPT_PREFIXES)]
