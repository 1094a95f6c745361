"""Show each role only what it can do (issue 15 item 8): for every demo role (regions/demo.py), every link of the home
page, the progress board and the navigation bar leads to a page the user may open — none answers 403 (nor 404 or 500).

The links are shown or hidden by `user_may` (regions.context_processors, from `regions.access.permitted_actions`,
the same role tables as `scope_for`)."""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from basedb.merge import merge_batch
from regions.demo import DEMO_USERS, create_demo_users
from tests.basedb.conftest import person, staged_batch

pytestmark = pytest.mark.django_db

HREF = re.compile(r'<a\b[^>]*\bhref="([^"#][^"]*)"')
NOT_FOLLOWED = ("/accounts/logout", "/static/", "/admin/")  # signing out; files; Django's admin (staff: its own checks)


def links(html: str, base: str) -> set[str]:
    """The page's internal links (relative ones resolved against the page's address), without fragments."""
    found = set()
    for href in HREF.findall(html):
        url = urljoin(base, href.replace("&amp;", "&")).split("#")[0]
        parts = urlsplit(url)
        if parts.netloc in ("", "testserver") and not parts.path.startswith(NOT_FOLLOWED):
            found.add(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    return found


@pytest.fixture
def demo(catalog):
    """The demo users, and records and a batch awaiting review in 东山街道 so the board and the home pages link to
    them."""
    create_demo_users()
    merge_batch(staged_batch("370602002", [person(n) for n in range(1, 4)]), acting_user=None)
    staged_batch("370602002", [person(n) for n in range(4, 6)])


def pages_of(client) -> dict[str, str]:
    """The home page (after its redirect, for village and grid users) and the board: address → HTML."""
    pages = {}
    for start in ("/", "/basedb/board/"):
        response = client.get(start, follow=True)
        if response.status_code == 200:
            path = response.redirect_chain[-1][0] if response.redirect_chain else start
            pages[path] = response.content.decode()
    return pages


@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS])
def test_no_link_of_the_home_page_the_board_or_the_navigation_answers_403(client, demo, username):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    targets = set()
    for path, html in pages_of(client).items():
        targets |= links(html, path)
    assert len(targets) >= 8  # the navigation alone holds more: the walk did follow links
    statuses = {url: client.get(url).status_code for url in sorted(targets)}
    refused = {url: status for url, status in statuses.items() if status not in (200, 302)}
    assert not refused, f"{username}: {refused}"  # no 403, and no dead link (404) or error either
