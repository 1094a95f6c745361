"""The documentation names only commands and pages that exist: every `manage.py <command>` and every URL path in
README.md and docs/*.md resolves (placeholders such as <code>, {key} or … stand for any value)."""

import re
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
API = "/api/v1"

COMMAND = re.compile(r"manage\.py ([a-z_]+)")
# An absolute path of one of the project's URL prefixes, as written in prose, code or a table.
SITE_PATH = re.compile(
    r"(?<![\w.$}/])/(?:api|accounts|admin|basedb|catalog|collection|healthz|regions|reports|sharing)\b[^\s`)\"',;，。）]*"
)
# docs/api.md writes API paths relative to the API root: `GET /records/` and "$API/records/" (elsewhere a method
# comes with the full path: `POST /api/v1/batches/`).
API_PATH = re.compile(r"`(?:GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`|\$API(/[^\s`\"'<>]*)")
PLACEHOLDER = re.compile(r"<[^>/]+>|\{[^}/]+\}|…")


def documented(pattern: re.Pattern) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for match in pattern.finditer(doc.read_text(encoding="utf-8")):
            value = next(group for group in match.groups() or (match.group(0),) if group)
            found.append((doc.name, value))
    return sorted(set(found))


def as_path(text: str) -> str:
    """The path part of a documented URL with every placeholder replaced by a sample value."""
    return PLACEHOLDER.sub("1", text.split("?")[0].split("#")[0]).rstrip(".")


def resolves(path: str) -> bool:
    for candidate in (path, path.rstrip("/") + "/"):
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return True
    return False


@pytest.mark.parametrize(("doc", "command"), documented(COMMAND))
def test_every_documented_management_command_exists(doc, command):
    assert command in get_commands(), f"{doc} names manage.py {command}"


def entry_point_commands() -> list[str]:
    """The commands of README's "What is where" table (its last column: `import_workbook PATH ...`, pages, APIs)."""
    found = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if len(cells) == 5 and cells[1].strip().startswith("`") and cells[1].strip().endswith("/`"):
            found += [code.split()[0] for code in re.findall(r"`([^`]+)`", cells[3]) if code[0].islower()]
    return found


@pytest.mark.parametrize("command", entry_point_commands())
def test_every_entry_point_command_of_the_readme_exists(command):
    assert command in get_commands()


@pytest.mark.parametrize(("doc", "url"), documented(SITE_PATH))
def test_every_documented_page_resolves(doc, url):
    assert resolves(as_path(url)), f"{doc} names {url}"


@pytest.mark.parametrize(("doc", "url"), documented(API_PATH))
def test_every_documented_api_path_resolves(doc, url):
    path = as_path(url) if SITE_PATH.fullmatch(url) else API + as_path(url)
    assert resolves(path), f"{doc} names {url} ({path})"


def test_the_scan_finds_the_documented_doors():
    assert ("README.md", "serve") in documented(COMMAND)
    assert {"import_workbook", "revert_batch", "create_api_client"} <= set(entry_point_commands())
    assert any(url.startswith("/collection/upload/") for _doc, url in documented(SITE_PATH))
    assert any(url.startswith("/records/") for _doc, url in documented(API_PATH))
