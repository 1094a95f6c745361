"""Intake pages: permissions on every page, the upload of real messy workbooks, the batch page, fixes, downloads."""

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from collection.choices import BatchStatus
from collection.models import Batch, StagedRow
from collection.report import ISSUES_SHEET
from grassroots.xlsx import XLSX_CONTENT_TYPE
from regions.choices import Role
from tests.collection.batch_fixtures import DATA, intake_counts, make_batch, media, stored_files
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B
from tests.permissions.harness import Case, permission_tests

__all__ = ["media"]  # fixture used below

QUERIES_BATCH_LIST = 8  # session, user, subcategories, scope, townships, count, header roles, page
QUERIES_BATCH_PAGE = 18  # whatever the rows shown: issues, edits of a page (a prefetch each); fixes; exclusions;
# a batch in review: whether its merge was reverted (the newest line of its review log)


def _batch_url(name: str, **extra):
    def url(ctx):
        batch = make_batch(ctx.region, ctx.own)
        kwargs = {"pk": batch.pk}
        if extra.get("row"):
            kwargs["row_id"] = batch.staged_rows.get().pk
        return reverse(f"collection:{name}", kwargs=kwargs)

    return url


VIEWERS = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}

# Covers: the upload page, the batch list, the batch page, its progress JSON, the fix endpoint and both downloads,
# for anonymous, wrong role (catalog admin of the township), other township, own township and the officers above.
test_collection_page_permissions = permission_tests(
    Case(
        "upload page",
        lambda ctx: reverse("collection:batch_upload"),
        wrong_role_status=403,
        other_region_status=200,
        extra={"county_officer": 403, "platform_admin": 200},
    ),
    Case("batch list", lambda ctx: reverse("collection:batch_list"), wrong_role_status=200, other_region_status=200),
    Case("batch page", _batch_url("batch_detail"), extra=VIEWERS),
    Case("batch progress", _batch_url("batch_progress"), extra=VIEWERS),
)

# The fix endpoint is a page POST; the harness sends page POSTs with content_type=None, which Django's test client
# rejects, so its matrix is spelled out here: (principal role, region, expected status).
FIX_MATRIX = [
    (None, None, 302),  # anonymous: to the login page
    (Role.CATALOG_ADMIN, TOWNSHIP_A, 404),  # wrong role: sees no batch
    (Role.COLLECTOR, TOWNSHIP_B, 404),  # other township
    (Role.OFFICER, "370602", 403),  # may see, may not fix
    (Role.OFFICER, "370611", 404),  # other county
    (Role.COLLECTOR, TOWNSHIP_A, 302),  # own township: an empty form answers with a message and a redirect
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "region", "status"), FIX_MATRIX)
def test_fix_cell_permissions(client, regions, role, region, status):
    from tests.conftest import make_user

    batch = make_batch(TOWNSHIP_A, None)
    if role:
        client.force_login(make_user("someone", role, region))
    url = reverse("collection:batch_fix_cell", args=[batch.pk, batch.staged_rows.get().pk])
    response = client.post(url, {})
    assert response.status_code == status
    if status == 302 and role is None:
        assert "/accounts/login/" in response.url


def upload(client, name: str, region: str = TOWNSHIP_A, **extra):
    with open(DATA / name, "rb") as fh:
        return client.post(reverse("collection:batch_upload"), {"file": fh, "region": region, **extra})


# -- upload page --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_upload_page_presets_the_collectors_township(logged_in, catalog):
    page = logged_in.get(reverse("collection:batch_upload")).content.decode()
    assert 'value="370602002" selected' in page and "370602001" not in page
    assert "P0101 户籍人口" in page and "自动识别" in page and 'id="dropzone"' in page


@pytest.mark.django_db
def test_the_upload_page_offers_a_chinese_file_button_over_a_hidden_native_input(logged_in, catalog):
    page = logged_in.get(reverse("collection:batch_upload")).content.decode()
    assert 'class="file-input"' in page and 'for="id_file" class="button file-button"' in page
    assert "选择文件</label>" in page and ">未选择文件</span>" in page


@pytest.mark.django_db
def test_uploading_the_messy_sample_shows_its_issue_summary(logged_in, catalog, media):
    response = upload(logged_in, "sample_p0101_messy.xlsx")
    batch = Batch.objects.get()
    assert response.status_code == 302 and response.url == reverse("collection:batch_detail", args=[batch.pk])
    page = logged_in.get(response.url).content.decode()
    assert batch.rows == 120 and batch.invalid in (18, 19) and batch.status == BatchStatus.NEEDS_FIX
    assert f'id="count-invalid">{batch.invalid}<' in page
    assert "校验位错误" in page and "数字精度丢失" in page and "文件内重复" in page
    assert "下载批注版工作簿" in page and "仅下载有误的行" in page
    assert "“身高”" in page  # the unknown column is reported above the rows


@pytest.mark.django_db
def test_a_multi_sheet_workbook_leads_to_its_group_page(logged_in, catalog, media):
    response = upload(logged_in, "sample_multi_sheet.xlsx")
    batches = list(Batch.objects.order_by("pk"))
    assert len(batches) == 2 and response.url.endswith(f"?group={batches[0].group}")
    page = logged_in.get(response.url).content.decode()
    assert "户籍人口" in page and "流动人口" in page
    download = logged_in.get(reverse("collection:batch_report", args=[batches[1].pk]))
    assert "sample_multi_sheet_%E6%B5%81%E5%8A%A8%E4%BA%BA%E5%8F%A3_" in download["Content-Disposition"]  # 流动人口


@pytest.mark.django_db
def test_a_legacy_xls_and_a_gbk_csv_are_accepted_from_the_page(client, regions, catalog, media):
    from tests.conftest import make_user

    client.force_login(make_user("collector_c", Role.COLLECTOR, "370602003"))
    for name in ("sample_p0101_legacy.xls", "sample_p0101_gbk.csv"):
        assert upload(client, name, region="370602003").status_code == 302
    assert sorted(Batch.objects.values_list("rows", flat=True)) == [40, 50]


@pytest.mark.django_db
def test_the_reports_of_a_csv_and_an_xls_upload_are_xlsx_at_the_same_rows(client, regions, catalog, media):
    from tests.conftest import make_user

    client.force_login(make_user("collector_c", Role.COLLECTOR, "370602003"))
    cells = {"sample_p0101_gbk.csv": "B10", "sample_p0101_legacy.xls": "B30"}  # seeded errors (expected.json)
    for name, cell in cells.items():
        batch = Batch.objects.get(pk=upload(client, name, region="370602003").url.split("/")[-2])
        response = client.get(reverse("collection:batch_report", args=[batch.pk]))
        sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
        assert sheet[cell].comment is not None and sheet[cell].fill.fgColor.rgb.endswith("FF9999"), name


@pytest.mark.django_db
def test_formula_text_of_an_upload_stays_text_in_both_downloads(logged_in, catalog, media):
    batch = Batch.objects.get(pk=upload(logged_in, "sample_formula_text.xlsx").url.split("/")[-2])
    StagedRow.objects.filter(batch=batch, row=2).update(is_valid=False)
    batch.issues.create(row=2, column="备注", column_index=13, item="remarks", rule="pattern", severity="error",
                        message="=1+1", value='=HYPERLINK("http://example.invalid","x")')  # fmt: skip
    for name in ("batch_report", "batch_invalid_rows"):
        workbook = openpyxl.load_workbook(
            io.BytesIO(logged_in.get(reverse(f"collection:{name}", args=[batch.pk])).getvalue())
        )
        cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"], name
        assert '=HYPERLINK("http://example.invalid","x")' in {c.value for c in cells}


@pytest.mark.django_db
def test_a_rejected_file_shows_the_chinese_message_and_stores_nothing(logged_in, catalog, media, tmp_path):
    fake = tmp_path / "名单.xlsx"
    fake.write_bytes(b"<html><body>not a workbook</body></html>")
    with open(fake, "rb") as fh:
        response = logged_in.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    assert response.status_code == 400
    page = response.content.decode()
    assert "文件未被接收" in page and 'id="upload-errors"' in page
    assert intake_counts() == {"Batch": 0, "StagedRow": 0, "BatchIssue": 0} and stored_files(media) == []


@pytest.mark.django_db
def test_a_collector_cannot_upload_for_another_township(logged_in, catalog, media):
    response = upload(logged_in, "sample_p0101_clean.xlsx", region=TOWNSHIP_B)
    assert response.status_code == 400 and "选择" in response.content.decode()  # not among the choices
    assert Batch.objects.count() == 0


@pytest.mark.django_db
def test_an_officer_gets_no_upload_page(client, officer_a):
    client.force_login(officer_a)
    response = client.get(reverse("collection:batch_upload"))
    assert response.status_code == 403 and "您没有上报数据的权限" in response.content.decode()


# -- batch list ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_batch_list_shows_only_the_users_townships(client, collector_a, collector_b, officer_a):
    mine, theirs = make_batch(TOWNSHIP_A, collector_a), make_batch(TOWNSHIP_B, collector_b)
    client.force_login(collector_a)
    page = client.get(reverse("collection:batch_list")).content.decode()
    assert f"#{mine.pk}<" in page and f"#{theirs.pk}<" not in page
    client.force_login(officer_a)
    page = client.get(reverse("collection:batch_list")).content.decode()
    assert f"#{mine.pk}<" in page and f"#{theirs.pk}<" in page


@pytest.mark.django_db
def test_the_batch_list_filters_by_status_and_township(client, collector_a, collector_b, officer_a):
    fixing = make_batch(TOWNSHIP_A, collector_a)
    waiting = make_batch(TOWNSHIP_A, collector_a, status=BatchStatus.PENDING_REVIEW)
    other = make_batch(TOWNSHIP_B, collector_b)
    client.force_login(officer_a)
    page = client.get(reverse("collection:batch_list"), {"status": "pending_review"}).content.decode()
    assert f"#{waiting.pk}<" in page and f"#{fixing.pk}<" not in page
    page = client.get(reverse("collection:batch_list"), {"region": TOWNSHIP_B}).content.decode()
    assert f"#{other.pk}<" in page and f"#{fixing.pk}<" not in page


@pytest.mark.django_db
def test_the_batch_list_costs_the_same_queries_for_5_or_25_batches(client, collector_a, django_assert_num_queries):
    client.force_login(collector_a)
    for _ in range(5):
        make_batch(TOWNSHIP_A, collector_a)
    with django_assert_num_queries(QUERIES_BATCH_LIST):
        client.get(reverse("collection:batch_list"))
    for _ in range(20):
        make_batch(TOWNSHIP_A, collector_a)
    with django_assert_num_queries(QUERIES_BATCH_LIST):
        page = client.get(reverse("collection:batch_list")).content.decode()
    assert "第 1 / 2 页，共 25 条" in page


# -- batch page, fixes, downloads ---------------------------------------------------------------------------


@pytest.fixture
def messy_batch(logged_in, catalog, media) -> Batch:
    upload(logged_in, "sample_p0101_messy.xlsx")
    return Batch.objects.get()


def test_the_batch_page_groups_issues_by_rule_and_column(logged_in, messy_batch):
    page = logged_in.get(reverse("collection:batch_detail", args=[messy_batch.pk])).content.decode()
    assert 'id="issues-by-rule"' in page and 'href="?rule=checksum#rows"' in page
    assert 'id="issues-by-column"' in page and "身份证号码" in page


def _visible_text(page: str) -> str:
    """The page as a reader sees it: no scripts, no tags (so no attribute values)."""
    return re.sub(r"<[^>]*>", " ", re.sub(r"<script.*?</script>", " ", page, flags=re.S))


def test_the_batch_page_shows_rule_names_in_chinese_and_keeps_codes_out_of_the_text(logged_in, messy_batch):
    page = logged_in.get(reverse("collection:batch_detail", args=[messy_batch.pk])).content.decode()
    assert 'data-rule="checksum"' in page and 'title="规则代码 checksum"' in page
    shown = _visible_text(page)
    for code in ("checksum", "cross_field", "pattern", "code_value", "required", "unknown_column"):
        assert not re.search(rf"\b{code}\b", shown), code


def test_the_batch_page_costs_the_same_queries_on_every_page_of_rows(logged_in, messy_batch, django_assert_num_queries):
    url = reverse("collection:batch_detail", args=[messy_batch.pk])
    logged_in.get(url)
    for page in (1, 2, 3):
        with django_assert_num_queries(QUERIES_BATCH_PAGE):
            response = logged_in.get(url, {"page": page})
        assert len(response.context["page"].object_list) > 0


def test_a_returned_batch_shows_its_reason_and_a_resubmit_button_to_its_collector(logged_in, messy_batch):
    Batch.objects.filter(pk=messy_batch.pk).update(status=BatchStatus.RETURNED, return_reason="第7行身份证号请核对")
    page = logged_in.get(reverse("collection:batch_detail", args=[messy_batch.pk])).content.decode()
    assert "第7行身份证号请核对" in page and 'id="resubmit"' in page and 'id="review-link"' not in page
    response = logged_in.post(reverse("collection:review_resubmit", args=[messy_batch.pk]))
    messy_batch.refresh_from_db()
    assert response.status_code == 302 and messy_batch.status == BatchStatus.NEEDS_FIX


def test_an_officer_sees_a_review_link_and_no_fix_forms(client, officer_a, messy_batch):
    client.force_login(officer_a)
    page = client.get(reverse("collection:batch_detail", args=[messy_batch.pk])).content.decode()
    assert 'id="review-link"' in page and "fix-form" not in page and 'id="resubmit"' not in page


def test_the_rows_filter_by_rule_shows_only_matching_rows(logged_in, messy_batch):
    url = reverse("collection:batch_detail", args=[messy_batch.pk])
    page = logged_in.get(url, {"rule": "precision_lost"}).content.decode()
    assert 'id="row-12"' in page and 'id="row-7"' not in page


def test_the_rows_list_holds_only_rows_with_issues_by_default(logged_in, messy_batch):
    response = logged_in.get(reverse("collection:batch_detail", args=[messy_batch.pk]))
    with_issues = StagedRow.objects.filter(batch=messy_batch).exclude(errors=0, warnings=0).count()
    assert response.context["page"].paginator.count == with_issues < messy_batch.rows


def test_the_rows_filter_by_a_header_with_spaces_keeps_them(logged_in, messy_batch):
    url = reverse("collection:batch_detail", args=[messy_batch.pk])
    response = logged_in.get(url, {"column": " 姓 名 "})
    assert response.context["page"].paginator.count == messy_batch.issues.filter(column=" 姓 名 ").count() > 0


def test_the_batch_page_lists_the_automatic_corrections_by_kind(logged_in, messy_batch):
    page = logged_in.get(reverse("collection:batch_detail", args=[messy_batch.pk])).content.decode()
    assert "已自动修正" in page and "日期格式统一" in page and "全角字符转半角" in page


def test_the_only_invalid_toggle_hides_warning_only_rows(logged_in, messy_batch):
    url = reverse("collection:batch_detail", args=[messy_batch.pk])
    invalid_rows = set(StagedRow.objects.filter(batch=messy_batch, is_valid=False).values_list("row", flat=True))
    page = logged_in.get(url, {"only_invalid": "on"}).content.decode()
    assert all(f'id="row-{r}"' in page for r in sorted(invalid_rows)[:10])


def test_fixing_a_cell_reverifies_the_row_at_once(logged_in, messy_batch):
    staged = StagedRow.objects.get(batch=messy_batch, row=7)
    url = reverse("collection:batch_fix_cell", args=[messy_batch.pk, staged.pk])
    response = logged_in.post(url, {"item": "id_number", "value": "120101195901154755"}, HTTP_ACCEPT="application/json")
    data = response.json()
    assert response.status_code == 200 and data["ok"]
    assert not [i for i in data["row"]["issues"] if i["item"] == "id_number" and i["severity"] == "error"]
    messy_batch.refresh_from_db()
    assert data["batch"]["invalid"] == messy_batch.invalid


def test_a_fix_that_is_still_wrong_returns_the_new_issue(logged_in, messy_batch):
    staged = StagedRow.objects.get(batch=messy_batch, row=7)
    url = reverse("collection:batch_fix_cell", args=[messy_batch.pk, staged.pk])
    data = logged_in.post(url, {"item": "id_number", "value": "120101195901154751"}, HTTP_ACCEPT="application/json")
    assert [i["rule"] for i in data.json()["row"]["issues"] if i["item"] == "id_number"] == ["checksum"]


def test_a_plain_form_fix_redirects_back_to_the_row(logged_in, messy_batch):
    staged = StagedRow.objects.get(batch=messy_batch, row=7)
    url = reverse("collection:batch_fix_cell", args=[messy_batch.pk, staged.pk])
    response = logged_in.post(url, {"item": "id_number", "value": "120101195901154755"})
    assert response.status_code == 302 and response.url.endswith("#row-7")


def test_an_officer_may_not_fix_cells(client, officer_a, messy_batch):
    client.force_login(officer_a)
    staged = StagedRow.objects.get(batch=messy_batch, row=7)
    url = reverse("collection:batch_fix_cell", args=[messy_batch.pk, staged.pk])
    assert client.post(url, {"item": "id_number", "value": "x"}).status_code == 403


def test_the_annotated_workbook_download_marks_the_errors(logged_in, messy_batch):
    response = logged_in.get(reverse("collection:batch_report", args=[messy_batch.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "sample_p0101_messy_%E6%89%B9%E6%B3%A8%E7%89%88.xlsx" in response["Content-Disposition"]  # 批注版
    wb = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    assert ISSUES_SHEET in wb.sheetnames
    sheet = wb.worksheets[0]
    assert sheet["B7"].fill.fgColor.rgb.endswith("FF9999") and "校验位" in sheet["B7"].comment.text
    assert sheet["A1"].value == "东山街道户籍人口信息采集表"  # the township's own layout


def test_the_invalid_rows_download_holds_only_rows_with_errors(logged_in, messy_batch):
    response = logged_in.get(reverse("collection:batch_invalid_rows", args=[messy_batch.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    rows = [c.value for c in sheet["A"]][1:]
    assert rows == sorted(StagedRow.objects.filter(batch=messy_batch, is_valid=False).values_list("row", flat=True))
    assert "attachment" in response["Content-Disposition"]


def test_a_report_is_built_once_and_rebuilt_after_a_fix(logged_in, messy_batch, media):
    url = reverse("collection:batch_report", args=[messy_batch.pk])
    first = logged_in.get(url).getvalue()
    kept = sorted((media / "reports").rglob("annotated-*.xlsx"))
    assert len(kept) == 1 and kept[0].read_bytes() == first and logged_in.get(url).getvalue() == first
    staged = StagedRow.objects.get(batch=messy_batch, row=7)
    logged_in.post(reverse("collection:batch_fix_cell", args=[messy_batch.pk, staged.pk]),
                   {"item": "id_number", "value": "120101195901154755"})  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(logged_in.get(url).getvalue())).worksheets[0]
    assert sheet["B7"].value == "120101195901154755"  # fixed online: the current value, green, no error mark
    assert sheet["B7"].fill.fgColor.rgb.endswith("C8E6C9")
    assert "文件原值“120101195901154750”" in sheet["B7"].comment.text
    assert len(sorted((media / "reports").rglob("annotated-*.xlsx"))) == 1


def test_the_annotated_workbook_uploaded_again_gives_one_batch_with_the_same_findings(logged_in, messy_batch, tmp_path):
    annotated = tmp_path / "批注版.xlsx"
    annotated.write_bytes(logged_in.get(reverse("collection:batch_report", args=[messy_batch.pk])).getvalue())
    with open(annotated, "rb") as fh:
        response = logged_in.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    again = Batch.objects.exclude(pk=messy_batch.pk).get()
    assert response.url.endswith(f"/batches/{again.pk}/")
    assert (again.rows, again.invalid) == (messy_batch.rows, messy_batch.invalid)


def test_a_lost_original_file_gives_a_chinese_error_page_instead_of_a_report(logged_in, messy_batch):
    Path(messy_batch.file.path).unlink()
    for name in ("batch_report", "batch_invalid_rows"):
        response = logged_in.get(reverse(f"collection:{name}", args=[messy_batch.pk]))
        assert response.status_code == 410 and "原始文件已丢失" in response.content.decode()


def test_a_large_batchs_report_not_built_yet_is_queued_and_the_page_says_so(logged_in, messy_batch, settings):
    settings.UPLOAD_INLINE_MAX_BYTES = 0
    response = logged_in.get(reverse("collection:batch_report", args=[messy_batch.pk]), follow=True)
    assert "正在后台生成" in response.content.decode()


def test_downloads_of_another_townships_batch_are_not_found(client, collector_b, messy_batch):
    client.force_login(collector_b)
    for name in ("batch_report", "batch_invalid_rows", "batch_detail", "batch_progress"):
        assert client.get(reverse(f"collection:{name}", args=[messy_batch.pk])).status_code == 404


def test_anonymous_downloads_redirect_to_the_login_page(client, messy_batch):
    client.logout()
    response = client.get(reverse("collection:batch_report", args=[messy_batch.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_progress_json_says_when_verification_is_done(logged_in, messy_batch):
    data = json.loads(logged_in.get(reverse("collection:batch_progress", args=[messy_batch.pk])).content)
    assert data == {**data, "status": "needs_fix", "progress": 100, "done": True}


@pytest.mark.django_db
def test_a_batch_still_verifying_shows_a_progress_bar_and_no_downloads(client, collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a, status=BatchStatus.VERIFYING, progress=40)
    client.force_login(collector_a)
    page = client.get(reverse("collection:batch_detail", args=[batch.pk])).content.decode()
    assert 'id="progress-card"' in page and 'data-progress="40"' in page and "下载批注版工作簿" not in page
    response = client.get(reverse("collection:batch_report", args=[batch.pk]))
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_batch_verifying_before_its_first_percentage_shows_an_animated_bar_and_the_rows_so_far(client, collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a, status=BatchStatus.VERIFYING, progress=0)
    StagedRow.objects.create(batch=batch, row=3, values={"name": "李四"}, is_valid=True, errors=0)
    client.force_login(collector_a)
    page = client.get(reverse("collection:batch_detail", args=[batch.pk])).content.decode()
    assert 'class="progress indeterminate"' in page and "正在核验…（已处理 2 行）" in page and "0%" not in page
    data = json.loads(client.get(reverse("collection:batch_progress", args=[batch.pk])).content)
    assert data == {**data, "progress": 0, "rows_done": 2, "indeterminate": True, "done": False}


@pytest.mark.django_db
def test_the_progress_json_of_a_batch_with_a_percentage_is_not_indeterminate(client, collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a, status=BatchStatus.VERIFYING, progress=40)
    client.force_login(collector_a)
    data = json.loads(client.get(reverse("collection:batch_progress", args=[batch.pk])).content)
    assert data == {**data, "progress": 40, "rows_done": 1, "indeterminate": False, "done": False}


@pytest.mark.django_db
def test_a_large_upload_is_queued_and_the_batch_page_polls(client, collector_a, catalog, media, settings):
    settings.UPLOAD_INLINE_MAX_BYTES = 0
    client.force_login(collector_a)
    with open(DATA / "sample_p0101_clean.xlsx", "rb") as fh:
        response = client.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    batch = Batch.objects.get()
    assert batch.status == BatchStatus.UPLOADED
    assert 'data-progress-url="' in client.get(response.url).content.decode()
