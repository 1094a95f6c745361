"""Every response carries a Content-Security-Policy without 'unsafe-inline', and nothing the platform writes needs
one (issue 11 item 9): no template and no page holds an inline script, an inline event handler, a <style> block, a
style attribute or a javascript: URL, and no module or script of ours writes one (grassroots/csp.py)."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.urls import resolve, reverse

from grassroots.csp import HEADER
from regions.choices import Role
from tests.conftest import make_user
from tests.permissions.harness import CASES, Context, make_principals, request_as
from tests.permissions.test_routes import case_modules, routes

ROOT = Path(settings.BASE_DIR)
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "inline event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "<style> block": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE),
}
# The exempt routes of tests/permissions/test_routes.py hold no region-owned data and have no permission case:
# the URLs that reach them here (the admin's are listed from its registry below).
EXEMPT_URLS = {
    "healthz": ["/healthz"],
    "accounts/login/": ["/accounts/login/"],
    "accounts/logout/": ["/accounts/logout/"],
    "api/schema/": ["/api/schema/"],
    "api/docs/": ["/api/docs/", "/api/docs/?script="],
    "api/v1/": ["/api/v1/"],
    "api/v1/catalog/": ["/api/v1/catalog/"],
}


def inline_code(html: str) -> list[str]:
    """What in `html` a policy without 'unsafe-inline' would block, e.g. ['style attribute: <th style=...'];
    Django template tags are ignored (a style attribute written by a tag is found in the rendered page)."""
    found = []
    for kind, pattern in INLINE.items():
        found += [f"{kind}: {m.group(0)[:80]}" for m in pattern.finditer(html)]
    return found


def template_files() -> list[Path]:
    """The project's templates: templates/ and the templates/ of every app of this repository (not the venv's)."""
    dirs = [ROOT / "templates"]
    dirs += [Path(app.path) / "templates" for app in apps.get_app_configs() if Path(app.path).is_relative_to(ROOT)]
    return sorted(f for d in dirs if d.is_dir() and ".venv" not in d.parts for f in d.rglob("*.html"))


def code_files() -> list[Path]:
    """The project's Python modules (HTML built in code, e.g. format_html) and its own scripts (HTML they insert)."""
    skip = {".venv", "tests", "node_modules", "staticfiles"}
    modules = [f for f in ROOT.rglob("*.py") if not skip & set(f.relative_to(ROOT).parts)]
    return sorted([*modules, *(ROOT / "static").rglob("*.js")])


def allows_no_inline_code(response) -> bool:
    policy = response.get(HEADER, "")
    return "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_detector_finds_each_kind_of_inline_code():
    page = """<script>alert(1)</script><button onclick="go()">x</button><style>p{}</style>
              <p style="color:red">x</p><a href="javascript:go()">x</a>"""
    kinds = {found.split(":")[0] for found in inline_code(page)}
    assert kinds == {"inline script", "inline event handler", "<style> block", "style attribute", "javascript"}


def test_the_detector_lets_static_files_and_data_attributes_pass():
    page = """<script src="/static/js/batch.js"></script><form data-confirm="确定吗？" class="one">
              <link rel="stylesheet" href="/static/css/app.css"><p class="styled" data-once="1">on=</p>"""
    assert inline_code(page) == []


def test_no_template_holds_an_inline_script_handler_or_style():
    files = template_files()
    assert len(files) > 50 and ROOT / "templates" / "base.html" in files
    offenders = {str(f.relative_to(ROOT)): inline_code(f.read_text(encoding="utf-8")) for f in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_module_or_script_writes_an_inline_script_handler_or_style():
    files = code_files()
    assert ROOT / "grassroots" / "templatetags" / "layout.py" in files and ROOT / "static" / "js" / "batch.js" in files
    offenders = {str(f.relative_to(ROOT)): inline_code(f.read_text(encoding="utf-8")) for f in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_login_page_and_a_static_file_free_page_carry_the_policy(client):
    response = client.get("/accounts/login/")
    assert response[HEADER] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    assert allows_no_inline_code(client.get("/no-such-page/"))  # errors too
    assert allows_no_inline_code(client.get("/collection/batches/%00/"))  # refused by InvalidTextMiddleware


class Rollback(Exception):
    pass


def case_url_checks(client, admin_user) -> tuple[set[str], list[str]]:
    """Every route reached by a permission case, asked once as the platform administrator (API cases as the
    case's own principal): (the routes reached, the problems found). Each case runs in a rolled-back savepoint."""
    for module in case_modules():
        __import__(module)
    reached, problems = set(), []
    for case in CASES:
        try:
            with transaction.atomic():
                if case.setup is not None:
                    case.setup()
                users = make_principals(case)
                url = case.url(Context(case.region, case.other_region, users))
                route = resolve(url.split("?")[0]).route
                if route not in reached:
                    reached.add(route)
                    if case.api or case.client_api:
                        response = request_as(client, case, users["own_region"], url)
                        client.logout()
                    else:
                        client.force_login(admin_user)
                        response = client.get(url)
                    problems += check(url, response)
                raise Rollback
        except Rollback:
            pass
    return reached, problems


def admin_urls() -> list[str]:
    """The admin's index and, for every registered model, its list, its add form and the change form of one row."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{name}_changelist"), reverse(f"{name}_add")]
        row = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if row is not None:
            urls.append(reverse(f"{name}_change", args=[row]))
    return urls


def check(url: str, response) -> list[str]:
    """The problems of one response: a missing or weak policy; inline code in an HTML page."""
    problems = []
    if not allows_no_inline_code(response):
        problems.append(f"{url}: {response.status_code} with the policy {response.get(HEADER)!r}")
    if "text/html" in response.get("Content-Type", "") and not getattr(response, "streaming", False):
        problems += [f"{url}: {found}" for found in inline_code(response.content.decode(errors="replace"))]
    return problems


@pytest.mark.django_db
def test_every_route_answers_with_the_policy_and_every_page_is_free_of_inline_code(client, regions, catalog):
    admin_user = make_user("csp_admin", Role.PLATFORM_ADMIN, "3706", is_staff=True, is_superuser=True)
    reached, problems = case_url_checks(client, admin_user)
    client.force_login(admin_user)
    for route, urls in EXEMPT_URLS.items():
        reached.add(route)
        for url in urls:
            problems += check(url, client.get(url))
    for url in admin_urls():
        problems += check(url, client.get(url))
    unreached = [r for r in routes() if r not in reached and not r.startswith("admin/")]
    assert unreached == [], "routes this test does not ask: add them to EXEMPT_URLS"
    assert problems == [], "\n".join(problems)
