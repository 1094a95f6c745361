"""The batch API: upload, list, detail, issues and report; region scoping (404 elsewhere), query counts."""

import io

import pytest
from rest_framework.test import APIClient

from collection.choices import BatchStatus
from collection.models import Batch
from regions.choices import Role
from tests.collection.batch_fixtures import DATA, intake_counts, make_batch, media  # noqa: F401 (fixtures)
from tests.conftest import COUNTY_A, OTHER_COUNTY, TOWNSHIP_A, TOWNSHIP_B
from tests.permissions.harness import Case, permission_tests


def _batch_url(ctx, suffix=""):
    return f"/api/v1/batches/{make_batch(ctx.region, ctx.own).pk}/{suffix}"


# Covers: batch detail and issues for anonymous (401), wrong role (catalog admin in the township: 404),
# other township's collector (404), own collector (200), county officer (200), other county officer (404),
# city officer and platform admin (200).
BY_REGION = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}
test_batch_permissions = permission_tests(
    Case("batch detail api", _batch_url, api=True, extra=BY_REGION),
    Case("batch issues api", lambda ctx: _batch_url(ctx, "issues/"), api=True, extra=BY_REGION),
    Case("batch detail api for an officer", _batch_url, api=True, role=Role.OFFICER, region=COUNTY_A,
         other_region=OTHER_COUNTY, wrong_role=Role.CATALOG_ADMIN, extra={"city_officer": 200}),
)  # fmt: skip


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


@pytest.mark.django_db
def test_anonymous_gets_401_json_on_the_batch_list(api, regions):
    response = api.get("/api/v1/batches/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_the_list_holds_only_the_callers_township(api, collector_a, collector_b):
    mine = make_batch(TOWNSHIP_A, collector_a)
    make_batch(TOWNSHIP_B, collector_b)
    body = as_user(api, collector_a).get("/api/v1/batches/").json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == mine.pk
    assert body["results"][0]["status_display"] == "待修正"


@pytest.mark.django_db
def test_collector_b_gets_404_for_collector_a_batch(api, collector_a, collector_b):
    batch = make_batch(TOWNSHIP_A, collector_a)
    response = as_user(api, collector_b).get(f"/api/v1/batches/{batch.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert as_user(api, collector_b).get(f"/api/v1/batches/{batch.pk}/issues/").status_code == 404


@pytest.mark.django_db
def test_the_list_filters_by_status_subcategory_and_region_subtree(api, officer_a, collector_a, collector_b):
    make_batch(TOWNSHIP_A, collector_a, status=BatchStatus.PENDING_REVIEW)
    make_batch(TOWNSHIP_B, collector_b)
    client = as_user(api, officer_a)
    assert client.get("/api/v1/batches/", {"status": "pending_review"}).json()["count"] == 1
    assert client.get("/api/v1/batches/", {"region": COUNTY_A}).json()["count"] == 2
    assert client.get("/api/v1/batches/", {"region": TOWNSHIP_B}).json()["count"] == 1
    assert client.get("/api/v1/batches/", {"subcategory": "P0101"}).json()["count"] == 0


@pytest.mark.django_db
def test_the_detail_shows_status_progress_and_counts(api, collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a, progress=40)
    body = as_user(api, collector_a).get(f"/api/v1/batches/{batch.pk}/").json()
    assert (body["status"], body["progress"], body["rows"], body["invalid"]) == ("needs_fix", 40, 1, 1)
    assert body["issues_url"].endswith(f"/api/v1/batches/{batch.pk}/issues/")


@pytest.mark.django_db
def test_issues_are_paginated_and_filtered_by_rule_column_and_severity(api, collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a, issues=5)
    client = as_user(api, collector_a)
    url = f"/api/v1/batches/{batch.pk}/issues/"
    assert client.get(url).json()["count"] == 5
    assert client.get(url, {"rule": "required"}).json()["count"] == 2
    assert client.get(url, {"column": "列0"}).json()["count"] == 1
    assert client.get(url, {"severity": "warning"}).json()["count"] == 0
    page = client.get(url, {"page_size": 2}).json()
    assert (page["count"], len(page["results"])) == (5, 2)
    assert set(page["results"][0]) >= {"row", "column", "item", "rule", "severity", "message", "value"}


@pytest.mark.django_db
def test_an_unknown_rule_filter_is_a_400_with_a_chinese_message(api, collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a)
    response = as_user(api, collector_a).get(f"/api/v1/batches/{batch.pk}/issues/", {"rule": "nonsense"})
    assert response.status_code == 400
    assert response.json()["message"] == "请求参数有误"


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_one_batch_or_many(api, officer_a, collector_a, django_assert_num_queries):
    make_batch(TOWNSHIP_A, collector_a)
    client = as_user(api, officer_a)
    client.get("/api/v1/batches/")  # warms the user's region-scope cache, as the first request of a session would
    with django_assert_num_queries(2):  # count + one page with its related rows joined
        assert client.get("/api/v1/batches/").json()["count"] == 1
    for _ in range(5):
        make_batch(TOWNSHIP_A, collector_a)
    with django_assert_num_queries(2):
        assert client.get("/api/v1/batches/").json()["count"] == 6


# ----------------------------------------------------------------------------- uploads

MESSY = DATA / "sample_p0101_messy.xlsx"


def upload(client, path, region=TOWNSHIP_A, **extra):
    with open(path, "rb") as fh:
        return client.post("/api/v1/batches/", {"file": fh, "region": region, **extra}, format="multipart")


@pytest.mark.usefixtures("catalog", "media")
class TestUpload:
    def test_a_collector_uploads_a_workbook_and_gets_the_verified_batch(self, api, collector_a):
        response = upload(as_user(api, collector_a), MESSY)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["status"], body["rows"], body["invalid"], body["subcategory"]) == ("needs_fix", 120, 18, "P0101")
        assert body["uploaded_by"] == "collector_a"

    def test_a_multi_sheet_workbook_answers_a_list_of_batches(self, api, regions):
        from tests.conftest import make_user

        user = make_user("collector_c", Role.COLLECTOR, "370602003")
        body = upload(as_user(api, user), DATA / "sample_multi_sheet.xlsx", region="370602003").json()
        assert sorted(b["subcategory"] for b in body) == ["P0101", "P0102"]

    def test_a_utf8_csv_upload_is_verified_from_the_stored_file(self, api, collector_a):
        body = upload(as_user(api, collector_a), DATA / "sample_p0101_utf8bom.csv").json()
        assert (body["status"], body["rows"], body["valid"]) == ("pending_review", 25, 25)

    def test_the_subcategory_may_be_chosen(self, api, collector_a):
        body = upload(as_user(api, collector_a), MESSY, subcategory="P0101").json()
        assert body["subcategory"] == "P0101"

    def test_a_rejected_file_answers_400_rejected_file_in_chinese_and_stores_nothing(self, api, collector_a, tmp_path):
        page = tmp_path / "名单.xlsx"
        page.write_text("<html><body>not a workbook</body></html>")
        response = upload(as_user(api, collector_a), page)
        assert response.status_code == 400
        assert response.json()["code"] == "rejected_file"
        assert "Excel" in response.json()["message"]
        assert intake_counts() == {"Batch": 0, "StagedRow": 0, "BatchIssue": 0}

    def test_uploading_for_another_township_is_403(self, api, collector_b):
        response = upload(as_user(api, collector_b), MESSY)
        assert response.status_code == 403
        assert response.json()["param"] == "region"
        assert Batch.objects.count() == 0

    def test_an_officer_may_not_upload(self, api, officer_a):
        assert upload(as_user(api, officer_a), MESSY).status_code == 403

    def test_a_county_code_is_400_invalid_region(self, api, collector_a):
        response = upload(as_user(api, collector_a), MESSY, region=COUNTY_A)
        assert (response.status_code, response.json()["code"]) == (400, "invalid_region")

    def test_an_unknown_subcategory_is_400(self, api, collector_a):
        response = upload(as_user(api, collector_a), MESSY, subcategory="X9999")
        assert (response.status_code, response.json()["param"]) == (400, "subcategory")

    def test_a_missing_file_is_400_naming_the_parameter(self, api, collector_a):
        response = as_user(api, collector_a).post("/api/v1/batches/", {"region": TOWNSHIP_A}, format="multipart")
        assert (response.status_code, response.json()["param"]) == (400, "file")

    def test_anonymous_cannot_upload(self, api, regions):
        assert upload(api, MESSY).status_code == 401

    def test_the_issues_of_an_uploaded_batch_name_excel_rows(self, api, collector_a):
        client = as_user(api, collector_a)
        batch_id = upload(client, MESSY).json()["id"]
        issues = client.get(f"/api/v1/batches/{batch_id}/issues/", {"rule": "checksum"}).json()["results"]
        assert issues and all(i["item"] == "id_number" and i["row"] > 3 for i in issues)

    def test_the_report_downloads_as_an_annotated_workbook(self, api, collector_a):
        from openpyxl import load_workbook

        client = as_user(api, collector_a)
        batch_id = upload(client, MESSY).json()["id"]
        response = client.get(f"/api/v1/batches/{batch_id}/report.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "问题清单" in load_workbook(io.BytesIO(response.getvalue())).sheetnames

    def test_the_report_is_the_web_pages_cached_workbook_built_once(self, api, collector_a, client):
        from django.urls import reverse

        from tests.collection.test_after_verification import report_files

        batch_id = upload(as_user(api, collector_a), MESSY).json()["id"]
        first = as_user(api, collector_a).get(f"/api/v1/batches/{batch_id}/report.xlsx").getvalue()
        [cached] = report_files(Batch.objects.unrestricted("test").get(pk=batch_id))
        client.force_login(collector_a)
        web = client.get(reverse("collection:batch_report", args=[batch_id])).getvalue()
        again = as_user(api, collector_a).get(f"/api/v1/batches/{batch_id}/report.xlsx").getvalue()
        assert first == web == again  # one build: a second build would differ (the workbook's timestamps)
        assert report_files(Batch.objects.unrestricted("test").get(pk=batch_id)) == [cached]

    def test_a_batch_whose_stored_file_is_gone_answers_a_json_error(self, api, collector_a):
        from pathlib import Path

        batch_id = upload(as_user(api, collector_a), MESSY).json()["id"]
        Path(Batch.objects.unrestricted("test").get(pk=batch_id).file.path).unlink()
        response = as_user(api, collector_a).get(f"/api/v1/batches/{batch_id}/report.xlsx")
        assert (response.status_code, response["Content-Type"]) == (410, "application/json")
        assert response.json() == {"code": "file_missing", "message": response.json()["message"]}
        assert "原始文件已丢失" in response.json()["message"]

    def test_collector_b_cannot_download_a_report_of_township_a(self, api, collector_a, collector_b):
        batch_id = upload(as_user(api, collector_a), MESSY).json()["id"]
        assert as_user(APIClient(), collector_b).get(f"/api/v1/batches/{batch_id}/report.xlsx").status_code == 404

    def test_a_report_before_verification_is_409(self, api, collector_a):
        batch = make_batch(TOWNSHIP_A, collector_a, status=BatchStatus.VERIFYING)
        assert as_user(api, collector_a).get(f"/api/v1/batches/{batch.pk}/report.xlsx").status_code == 409


@pytest.mark.django_db
def test_the_detail_and_the_issues_page_cost_a_fixed_number_of_queries(api, collector_a, django_assert_num_queries):
    batch = make_batch(TOWNSHIP_A, collector_a, issues=30)
    client = as_user(api, collector_a)
    client.get("/api/v1/batches/")  # warms the user's region-scope cache
    with django_assert_num_queries(1):
        client.get(f"/api/v1/batches/{batch.pk}/")
    with django_assert_num_queries(4):  # the batch, the user's upload scope (values as typed: its own), count, page
        assert client.get(f"/api/v1/batches/{batch.pk}/issues/").json()["count"] == 30


# A real transaction: the worker runs the queued build from the database, as in production.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("catalog", "media")
def test_a_large_batchs_report_not_built_yet_is_queued_and_answers_202_without_building(api, collector_a, settings):
    from django.core.management import call_command

    from tests.collection.test_after_verification import report_files

    batch_id = upload(as_user(api, collector_a), MESSY).json()["id"]
    settings.UPLOAD_INLINE_MAX_BYTES = 0  # the batch counts as large: never built in a request
    url = f"/api/v1/batches/{batch_id}/report.xlsx"
    pending = as_user(api, collector_a).get(url)
    assert (pending.status_code, pending.json()["code"], pending["Retry-After"]) == (202, "report_pending", "15")
    assert as_user(api, collector_a).get(url).status_code == 202
    batch = Batch.objects.unrestricted("test").get(pk=batch_id)
    assert [name.endswith(".queued") for name in report_files(batch)] == [True]  # queued once, nothing built
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    [built] = report_files(batch)
    response = as_user(api, collector_a).get(url)
    assert response.status_code == 200 and built.startswith("annotated-")
