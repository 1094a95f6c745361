"""Every download masks personal items by default (issue 11 item 8): the walk below asks every download route of the
URLconf (found by walking the resolver: .xlsx routes and views named export or download, plus the access log's
export) and looks for the seeded people's ID numbers and phones in the unzipped file. The only clear values are the
logged exceptions: a township's own batch's annotated workbook and invalid rows (web and API) and the 核对表 of its
collectors and reviewing officers, each download written to the personal-data access log with the rows' keyed hashes.
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from collection.models import Batch
from regions.choices import Role
from regions.tokens import issue_user_token
from sharing.lookups import hash_key
from sharing.models import AccessLog
from tests.collection.batch_fixtures import BAD_ID, P0101_ROWS, media, write_xlsx
from tests.conftest import TOWNSHIP_A, make_user
from tests.permissions.test_routes import routes
from tests.sharing.conftest import A_PEOPLE, id_of

__all__ = ["media"]

UPLOADED = [[*row[:1], BAD_ID, *row[2:]] if n == 2 else row for n, row in enumerate(P0101_ROWS)]  # row 4 in error
UPLOADED_IDS = [row[1] for row in UPLOADED]
UPLOADED_PHONES = [row[5] for row in UPLOADED]
SEEDED = [*(id_of(n) for n in A_PEOPLE), *(f"138{n:08d}" for n in A_PEOPLE), *UPLOADED_IDS, *UPLOADED_PHONES]


def file_text(content: bytes) -> str:
    """Every part of an xlsx (cells, shared strings, comments) as one text."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


def clear_values(content: bytes) -> list[str]:
    text = file_text(content)
    return [value for value in SEEDED if value in text]


@pytest.fixture
def world(base_data, client, collector_a, officer_a, platform_admin, media, tmp_path):
    """Township A's merged people (base_data), a verified upload of collector_a with its file, a work list of A's
    people showing their ID number and phone, a confirmed report; and a grid worker holding A itself, who may view
    the township but neither collects nor reviews."""
    client.force_login(collector_a)
    with write_xlsx(tmp_path / "户籍人口.xlsx", UPLOADED).open("rb") as fh:
        client.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    batch = Batch.objects.get(original_name="户籍人口.xlsx")
    assert (batch.rows, batch.invalid) == (3, 1)
    client.logout()
    return {"batch": batch, "rule": _work_list(), "submission": _submission(collector_a),
            "grid_worker": make_user("grid_a", Role.GRID_WORKER, TOWNSHIP_A)}  # fmt: skip


def _work_list():
    from matching.evaluation import evaluate_rule
    from tests.permissions.test_matching import _rule

    rule = _rule()
    definition = {**rule.definition, "show": ["name", "id_number", "phone"]}
    rule.definition = definition
    rule.save(update_fields=["definition"])
    rule.versions.update(definition=definition)
    evaluate_rule(rule)
    return rule


def _submission(user):
    from tests.permissions.harness import Context
    from tests.permissions.test_reports import _submission

    return _submission(Context(TOWNSHIP_A, "", {"own_region": user}))


def _api_report(user, batch) -> bytes:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_user_token(user, 'downloads')[1]}")
    return api.get(f"/api/v1/batches/{batch.pk}/report.xlsx")


# route -> (how to ask for it, the users to ask as, the endpoint it is logged under when its values are clear)
DOWNLOADS = {
    "catalog/templates/<str:code>.xlsx": (lambda c, w, u: c.get("/catalog/templates/P0101.xlsx"), ("collector",), ""),
    "collection/batches/<int:pk>/report.xlsx": (
        lambda c, w, u: c.get(f"/collection/batches/{w['batch'].pk}/report.xlsx"),
        ("collector", "officer", "grid_worker"),
        "batch_report",
    ),
    "collection/batches/<int:pk>/invalid-rows.xlsx": (
        lambda c, w, u: c.get(f"/collection/batches/{w['batch'].pk}/invalid-rows.xlsx"),
        ("collector", "officer", "grid_worker"),
        "batch_report",
    ),
    "api/v1/batches/(?P<pk>[^/.]+)/report\\.xlsx/?$": (
        lambda c, w, u: _api_report(u, w["batch"]),
        ("collector", "officer", "grid_worker"),
        "batch_report",
    ),
    "basedb/board.xlsx": (lambda c, w, u: c.get("/basedb/board.xlsx"), ("officer", "collector"), ""),
    "basedb/board.xlsx drill-down": (
        lambda c, w, u: c.get(f"/basedb/board.xlsx?region={TOWNSHIP_A}"),
        ("officer",),
        "",
    ),
    "basedb/patch/": (
        lambda c, w, u: c.get("/basedb/patch/", {"region": TOWNSHIP_A, "subcategory": "P0101"}),
        ("collector", "officer", "grid_worker"),
        "patch",
    ),
    "basedb/tables/<str:code>/export.xlsx": (
        lambda c, w, u: c.get("/basedb/tables/P0101/export.xlsx", {"status": "all"}),
        ("collector", "officer", "grid_worker"),
        "",
    ),
    "matching/rules/<slug:code>/entries.xlsx": (
        lambda c, w, u: c.get(f"/matching/rules/{w['rule'].code}/entries.xlsx"),
        ("collector", "officer"),
        "",
    ),
    "reports/fill/<slug:code>/report.xlsx": (
        lambda c, w, u: c.get(f"/reports/fill/population_overview/report.xlsx?region={TOWNSHIP_A}&as_of=2026-03-31"),
        ("collector",),
        "",
    ),
    "reports/submissions/<int:pk>/report.xlsx": (
        lambda c, w, u: c.get(f"/reports/submissions/{w['submission'].pk}/report.xlsx"),
        ("collector",),
        "",
    ),
    # Last: the audit trail and the access log hold what the downloads above wrote (never a value in clear).
    "regions/audit/export/": (lambda c, w, u: c.get("/regions/audit/export/"), ("admin",), ""),
    "sharing/access-log/": (
        lambda c, w, u: c.post("/sharing/access-log/", {"person": UPLOADED_IDS[0], "export": "xlsx"}),
        ("admin",),
        "",
    ),
}
# Views that answer with a file without saying so in their route or name.
OTHER_DOWNLOADS = {"sharing/access-log/"}


def download_routes() -> set[str]:
    found = {r for r, name in routes().items() if ".xlsx" in r or "export" in name or "download" in name}
    return found | OTHER_DOWNLOADS


def test_the_walk_knows_every_download_route():
    assert download_routes() == {route.split(" ")[0] for route in DOWNLOADS}


@pytest.mark.django_db
def test_no_download_carries_clear_personal_values_except_the_logged_exceptions(world, client, collector_a,
                                                                               officer_a, platform_admin):  # fmt: skip
    users = {"collector": collector_a, "officer": officer_a, "grid_worker": world["grid_worker"],
             "admin": platform_admin}  # fmt: skip
    client.force_login(officer_a)
    record = world["rule"].entries.first().record
    client.post(f"/sharing/reveal/records/{record.pk}/", {"reason": "verify"})  # a reveal the log export lists
    for route, (ask, who, logged_as) in DOWNLOADS.items():
        for name in who:
            user = users[name]
            client.force_login(user)
            before = AccessLog.objects.filter(user=user, endpoint=logged_as or "-").count()
            response = ask(client, world, user)
            if name == "grid_worker" and logged_as == "batch_report":
                assert response.status_code == 403, route  # views the batch, fixes nothing: no workbook
                continue
            assert response.status_code == 200, (route, name)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            found = clear_values(content)
            logged = AccessLog.objects.filter(user=user, endpoint=logged_as or "-").count() - before
            if logged_as and name in ("collector", "officer"):
                assert found and logged == 1, (route, name)  # the exception: clear, and logged
            else:
                assert not found and not logged, (route, name, found)


@pytest.mark.django_db
def test_an_annotated_workbook_download_is_found_by_person(world, client, collector_a, platform_admin):
    client.force_login(collector_a)
    assert client.get(f"/collection/batches/{world['batch'].pk}/invalid-rows.xlsx").status_code == 200
    log = AccessLog.objects.get(endpoint="batch_report")
    assert (log.user, log.region_id, log.records, log.reason) == (collector_a, TOWNSHIP_A, 1, "本乡镇批次修正")
    assert log.params == {"batch": world["batch"].pk, "subcategory": "P0101", "file": "有误的行"}
    assert list(log.keys.values_list("key_hash", flat=True)) == [hash_key(UPLOADED_IDS[2])]
    client.force_login(platform_admin)
    rows = client.post("/sharing/access-log/", {"person": UPLOADED_IDS[2]}).context["rows"]
    assert [(e.endpoint, e.user) for e in rows] == [("batch_report", collector_a)]


@pytest.mark.django_db
def test_the_patch_workbook_of_a_collector_is_logged_with_every_record(world, client, collector_a):
    client.force_login(collector_a)
    client.get("/basedb/patch/", {"region": TOWNSHIP_A, "subcategory": "P0101"})
    log = AccessLog.objects.get(endpoint="patch")
    assert (log.records, log.region_id, log.params["subcategory"]) == (len(A_PEOPLE), TOWNSHIP_A, "P0101")
    assert log.keys.filter(key_hash=hash_key(id_of(1))).exists()


def test_the_walk_reads_every_part_of_a_workbook(tmp_path):
    path = write_xlsx(Path(tmp_path) / "a.xlsx", UPLOADED)
    assert set(UPLOADED_IDS) <= set(clear_values(path.read_bytes()))
