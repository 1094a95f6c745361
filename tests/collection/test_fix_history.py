"""Web fixes and the annotated workbook agree: the file's value, each attempt (who, when) and the current value are
kept apart and shown apart, the workbook holds the current values, and both ways of fixing can be mixed."""

import io

import openpyxl
from django.urls import reverse

from collection.models import Batch, StagedRow
from tests.collection.batch_fixtures import media
from tests.conftest import TOWNSHIP_A

__all__ = ["media"]

FILE_ID = "120101195901154750"  # row 7 in the file: a wrong check digit
STILL_WRONG = "120101195901154751"
RIGHT = "120101195901154755"


def _fix(client, batch, row: int, item: str, value: str):
    staged = StagedRow.objects.get(batch=batch, row=row)
    url = reverse("collection:batch_fix_cell", args=[batch.pk, staged.pk])
    return client.post(url, {"item": item, "value": value}, HTTP_ACCEPT="application/json")


def _row_html(client, batch, row: int) -> str:
    page = client.get(reverse("collection:batch_detail", args=[batch.pk]), {"q": str(row)}).content.decode()
    return page.split(f'id="row-{row}"')[1].split("</tbody>")[0]


def _sheet(client, batch, invalid_only: bool = False):
    name = "collection:batch_invalid_rows" if invalid_only else "collection:batch_report"
    return openpyxl.load_workbook(io.BytesIO(client.get(reverse(name, args=[batch.pk])).getvalue()))


def test_the_original_value_stays_the_files_after_a_rejected_attempt(logged_in, messy_batch):
    _fix(logged_in, messy_batch, 7, "id_number", STILL_WRONG)
    html = _row_html(logged_in, messy_batch, 7)
    original = html.split('data-label="原值"')[1].split("</td>")[0]
    assert FILE_ID in original and STILL_WRONG not in original


def test_every_attempt_is_listed_with_who_and_when_and_the_current_value_apart(logged_in, messy_batch):
    _fix(logged_in, messy_batch, 7, "id_number", STILL_WRONG)
    _fix(logged_in, messy_batch, 7, "id_number", RIGHT)
    staged = StagedRow.objects.get(batch=messy_batch, row=7)
    assert staged.is_valid  # fixed: the row no longer has issues, so it is found by its row number
    html = _row_html(logged_in, messy_batch, 7)
    assert "本行通过核验" in html and f'原值“<span class="ident">{FILE_ID}</span>”' in html
    assert f'现值“<span class="ident">{RIGHT}</span>”' in html
    attempts = html.split('class="attempts"')[1].split("</ul>")[0]
    assert attempts.index(STILL_WRONG) < attempts.index(RIGHT) and attempts.count("collector_a") == 2


def test_the_history_of_a_cell_still_wrong_is_listed_under_its_fix_box(logged_in, messy_batch):
    _fix(logged_in, messy_batch, 7, "id_number", "1201011959011547")
    _fix(logged_in, messy_batch, 7, "id_number", STILL_WRONG)
    attempts = _row_html(logged_in, messy_batch, 7).split('class="attempts"')[1].split("</ul>")[0]
    assert attempts.count("collector_a") == 2 and "1201011959011547" in attempts
    assert f'现值：“<span class="ident">{STILL_WRONG}</span>”' in attempts


def test_the_annotated_workbook_holds_a_rejected_attempt_with_its_own_issue(logged_in, messy_batch):
    _fix(logged_in, messy_batch, 7, "id_number", STILL_WRONG)
    cell = _sheet(logged_in, messy_batch).worksheets[0]["B7"]
    assert cell.value == STILL_WRONG and "校验位" in cell.comment.text
    assert f"文件原值“{FILE_ID}”" in cell.comment.text and cell.fill.fgColor.rgb.endswith("FF9999")


def test_the_issues_sheet_keeps_the_files_value_as_the_original_and_the_fix_apart(logged_in, messy_batch):
    _fix(logged_in, messy_batch, 7, "id_number", STILL_WRONG)
    rows = list(_sheet(logged_in, messy_batch)["问题清单"].iter_rows(values_only=True))
    row7 = next(r for r in rows if r[0] == 7)
    assert row7[6] == FILE_ID and row7[7] == STILL_WRONG


def test_the_invalid_rows_download_holds_the_current_values(logged_in, messy_batch):
    _fix(logged_in, messy_batch, 7, "id_number", STILL_WRONG)
    sheet = _sheet(logged_in, messy_batch, invalid_only=True).worksheets[0]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == 7)
    assert row[2].value == STILL_WRONG  # 原行号 first, then column B


def test_fixes_on_the_web_and_in_the_downloaded_workbook_mix(logged_in, messy_batch, tmp_path):
    """Fix row 7 on the web, download, fix row 12 in Excel, upload again: both fixes hold in the new batch."""
    _fix(logged_in, messy_batch, 7, "id_number", RIGHT)
    messy_batch.refresh_from_db()
    book = _sheet(logged_in, messy_batch)
    book.worksheets[0]["B12"].value = "222401195703154422"  # the full ID the precision loss had cut
    path = tmp_path / "改好的.xlsx"
    book.save(path)
    with open(path, "rb") as fh:
        logged_in.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})
    again = Batch.objects.exclude(pk=messy_batch.pk).get()
    fixed_rows = again.staged_rows.filter(row__in=(7, 12))
    assert [r.is_valid for r in fixed_rows] == [True, True]
    assert again.invalid == messy_batch.invalid - 1  # row 7 was already counted as fixed
