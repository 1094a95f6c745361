"""Generated permission tests: who gets which HTTP status on each page and API endpoint of a region-owned object.

What it covers. For every `Case` it generates one test per principal, each asking one URL once:
  - anonymous:     nobody signed in. Pages redirect to the login page (302), the API answers 401 JSON.
  - no_role:       a signed-in user holding no role anywhere; expected like wrong_role unless `no_role_status`.
  - wrong_role:    a user holding `wrong_role` in the owner region itself (right place, wrong job).
  - other_region:  a user holding the case's `role` in `other_region` (right job, wrong place). Expected 404, never
                   403: an object outside a user's subtrees must look as if it did not exist.
  - own_region:    a user holding `role` in the owner region (or in a region containing it); expected 200.
  - optional extras given in `extra={principal: status}`: county_officer (officer of the owner's county),
    other_county_officer (officer of 福山区 370611), city_officer (officer of 3706), platform_admin (3706).
Client API cases (`client_api=True`, the sharing API: /records/, /match/, /webhooks/...) swap the principals for API
clients (sharing.clients.create_client): wrong_role is a client of the owner region granted other subcategories
(`other_subcategories`), other_region a client of the other region granted the case's `subcategories`, own_region
a client of the owner region granted them; no_role sends a user's own token, which the sharing API refuses (401).
Page cases sign in with the session (`client.force_login`); API cases (`api=True`) send `Authorization: Token`
with a real hashed token, so token authentication is exercised on every endpoint.

How to add a case (one line). In your own module `tests/permissions/test_<app>.py`:

    from tests.permissions.harness import Case, permission_tests

    test_batch_permissions = permission_tests(
        Case("batch detail page", lambda ctx: f"/collection/batches/{make_batch(ctx.region, ctx.own).pk}/"),
        Case("batch api", lambda ctx: f"/api/v1/batches/{make_batch(ctx.region, ctx.own).pk}/", api=True),
        Case("approve batch", lambda ctx: ..., method="post", role=Role.OFFICER, region=COUNTY_A,
             other_region=OTHER_COUNTY, wrong_role=Role.COLLECTOR, own_region=302, wrong_role_status=404),
    )

Every route of the URLconf needs a case or a reasoned exemption: tests/permissions/test_routes.py walks the resolver
and fails on a route that no `Case` reaches (the cases of every module calling `permission_tests` count).

The URL factory receives a `Context` (region codes, the users) and may create the object it points at; it runs
inside the test's database transaction after all principals exist; `setup` runs before they are made (sample
villages and grids for principals holding a role in a grid). Statuses are the defaults unless overridden.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from regions.choices import Role
from regions.models import RegionRole
from regions.tokens import issue_user_token
from tests.conftest import OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_B

PRINCIPALS = ("anonymous", "no_role", "wrong_role", "other_region", "own_region")
CASES: list["Case"] = []  # every case given to permission_tests, for the route coverage test
EXTRA_PRINCIPALS = {
    "county_officer": (Role.OFFICER, lambda region: region[:6]),
    "other_county_officer": (Role.OFFICER, lambda region: OTHER_COUNTY),
    "city_officer": (Role.OFFICER, lambda region: "3706"),
    "platform_admin": (Role.PLATFORM_ADMIN, lambda region: "3706"),
}


@dataclass(frozen=True)
class Context:
    """What a URL factory may use: the owner region and the users of the test (None for anonymous)."""

    region: str
    other_region: str
    users: dict

    @property
    def own(self):
        """The user holding the case's role in the owner region, e.g. the uploader of a batch."""
        return self.users["own_region"]


@dataclass(frozen=True)
class Case:
    """One URL of a region-owned object and the status each principal must get."""

    name: str
    url: Callable[[Context], str]
    api: bool = False
    method: str = "get"
    data: dict | None = None
    role: str = Role.COLLECTOR
    region: str = TOWNSHIP_A
    other_region: str = TOWNSHIP_B
    wrong_role: str = Role.CATALOG_ADMIN
    anonymous: int | None = None  # default: 302 for pages, 401 for the API
    wrong_role_status: int = 404
    no_role_status: int | None = None  # default: as wrong_role
    other_region_status: int = 404
    own_region: int = 200
    extra: dict[str, int] = field(default_factory=dict)
    client_api: bool = False  # principals are sharing API clients, see above
    subcategories: tuple[str, ...] = ("P0101",)
    other_subcategories: tuple[str, ...] = ("P0102",)
    setup: Callable[[], None] | None = None  # makes what the principals' regions need (e.g. sample grids) first

    def expected(self) -> dict[str, int]:
        statuses = {
            "anonymous": self.anonymous or (401 if self.api or self.client_api else 302),
            "no_role": self.no_role_status or (401 if self.client_api else self.wrong_role_status),
            "wrong_role": self.wrong_role_status,
            "other_region": self.other_region_status,
            "own_region": self.own_region,
        }
        return statuses | self.extra

    def grants(self) -> dict[str, tuple[str | None, str | None]]:
        """The (role, region) of every principal of this case except anonymous."""
        grants = {
            "no_role": (None, None),
            "wrong_role": (self.wrong_role, self.region),
            "other_region": (self.role, self.other_region),
            "own_region": (self.role, self.region),
        }
        grants |= {name: (role, where(self.region)) for name, (role, where) in EXTRA_PRINCIPALS.items()}
        return grants


def make_principals(case: Case) -> dict:
    """One user per principal of `case`, each holding exactly one role; anonymous is None."""
    users = {"anonymous": None}
    for name, (role, region) in case.grants().items():
        user = get_user_model().objects.create_user(username=f"perm_{name}", first_name=name)
        if role is not None:
            RegionRole.objects.create(user=user, region_id=region, role=role)
        users[name] = user
    if case.client_api:
        users |= make_clients(case)
    return users


def make_clients(case: Case) -> dict:
    """The API clients of a client API case, each carrying its token (`raw_token`)."""
    from catalog.models import Subcategory
    from sharing.choices import Sensitivity
    from sharing.clients import create_client

    grants = {
        "wrong_role": (case.region, case.other_subcategories),
        "other_region": (case.other_region, case.subcategories),
        "own_region": (case.region, case.subcategories),
    }
    clients = {}
    for name, (region, codes) in grants.items():
        client, raw = create_client(
            name=f"perm_{name}", subcategories=Subcategory.objects.filter(code__in=codes), region=region,
            max_sensitivity=Sensitivity.PERSONAL, acting_user=None,
        )  # fmt: skip
        client.raw_token = raw
        clients[name] = client
    return clients


def request_as(client, case: Case, user, url: str):
    """Send the case's request as `user`: session for pages, a fresh hashed token for the API."""
    headers = {}
    if user is not None and case.client_api:
        token = getattr(user, "raw_token", None) or issue_user_token(user, "permission test")[1]
        headers["Authorization"] = f"Token {token}"
    elif user is not None and case.api:
        headers["Authorization"] = f"Token {issue_user_token(user, 'permission test')[1]}"
    elif user is not None:
        client.force_login(user)
    send = getattr(client, case.method)
    if case.method == "get":
        return send(url, headers=headers)
    encoding = {"content_type": "application/json"} if case.api or case.client_api else {}  # pages post a form
    return send(url, data=case.data or {}, headers=headers, **encoding)


def permission_tests(*cases: Case):
    """A pytest test function parametrized over every (case, principal) pair, named `<case> - <principal>`."""
    CASES.extend(cases)
    params = [
        pytest.param(case, principal, status, id=f"{case.name} - {principal} -> {status}")
        for case in cases
        for principal, status in case.expected().items()
    ]

    @pytest.mark.django_db
    @pytest.mark.parametrize(("case", "principal", "status"), params)
    def test_permission(client, regions, case: Case, principal: str, status: int):
        if case.setup is not None:
            case.setup()
        users = make_principals(case)
        url = case.url(Context(case.region, case.other_region, users))
        response = request_as(client, case, users[principal], url)
        assert response.status_code == status, f"{principal} on {url}: {response.status_code}, expected {status}"
        if (case.api or case.client_api) and status >= 400:
            assert "message" in response.json(), "API errors are JSON with a Chinese message"

    return test_permission
