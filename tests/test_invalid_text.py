"""A NUL byte or other invalid text anywhere in a request answers 400 (issue 11 item 13): the API's JSON error body
under /api/, a plain Chinese page elsewhere; on every route of the URLconf, found by walking the resolver."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import login

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
SAMPLES = {"int": "1", "str": "x", "path": "x", "slug": "x", "public_id": "0" * 32, None: "x"}


def routes(patterns=None, prefix: str = "") -> list[str]:
    """Every route of the URLconf as a sample path (route patterns; the admin's few regex routes are left out)."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if route.startswith("^"):
            continue
        if isinstance(entry, URLResolver):
            found += routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            found.append("/" + CONVERTER.sub(lambda m: SAMPLES.get(m.group(1), "x"), prefix + route))
    return sorted(set(found))


ROUTES = routes()


def assert_refused(response, path: str) -> None:
    assert response.status_code == 400, (path, response.status_code)
    if path.startswith("/api/"):
        assert response.json()["code"] == "invalid_text" and "无效字符" in response.json()["message"]
    else:
        assert "请求有误" in response.content.decode()


def test_the_walk_finds_the_routes():
    assert len(ROUTES) > 60 and "/api/v1/match/" in ROUTES and "/basedb/" in ROUTES


@pytest.mark.usefixtures("catalog")
def test_a_nul_byte_in_a_parameter_is_refused_on_every_route(client, officer_a):
    login(client, officer_a)
    for path in ROUTES:
        assert_refused(client.get(path, {"q": "a\x00b", "region": "3706\x00"}), path)
        assert_refused(client.post(path, {"name": "a\x00"}), path)


def test_a_nul_byte_in_the_path_is_refused(client, officer_a):
    login(client, officer_a)
    with_text = [p for p in ROUTES if "/x/" in p or p.endswith("/x")]
    for path in [*with_text, "/regions/3706%00/"]:
        target = path.replace("/x", "/a%00b", 1) if "/x" in path else path
        assert_refused(client.get(target), target)


def test_a_nul_in_a_json_body_and_other_invalid_text_are_refused(client):
    body = '{"keys": ["37060219900101000\\u00001"], "subcategories": ["P0101"]}'
    assert_refused(client.post("/api/v1/match/", body, content_type="application/json"), "/api/v1/match/")
    assert_refused(client.get("/api/v1/records/", {"subcategory": "P01\x1b01"}), "/api/v1/records/")
    assert_refused(client.get("/basedb/?region=%FF%FE"), "/basedb/")


def test_ordinary_text_passes(client, collector_a):
    login(client, collector_a)
    assert client.get("/basedb/", {"subcategory": "P0101 居民\t"}).status_code == 200
