"""Legal workbooks of every kind real systems produce are read by what they are, through the real doors (the web
upload and `manage.py import_workbook`): zip entries with backslashes, a workbook part found through _rels/.rels,
an .xls whose stream is named BOOK, an .xlsx named .xls and the reverse, .ods and .xlsb, an .xlsx carrying a
META-INF/manifest.xml (still an .xlsx) and an .ods without its mimetype entry (still an .ods). The variants are
written by tests/collection/workbooks.py or here."""

import io
import json
import zipfile

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from collection.models import Batch, StagedRow
from collection.pipeline import opening
from collection.pipeline.guard import check_upload
from tests.collection import workbooks as W
from tests.collection.batch_fixtures import DATA, intake_counts, stored_files
from tests.collection.sample_rows import sheet_rows
from tests.conftest import TOWNSHIP_A

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")
CLEAN, LEGACY = DATA / "sample_p0101_clean.xlsx", DATA / "sample_p0101_legacy.xls"
FIRST_ID = "222401195709185975"  # the clean sample's first person


def clean_rows(count: int) -> list[list]:
    """The clean sample's header and first `count` rows, as calamine reads them (dates as dates), the phone numbers
    as number cells."""
    header, *rows = sheet_rows("sample_p0101_clean.xlsx")[: count + 1]
    return [header] + [[*row[:5], float(row[5]) if row[5] else None, *row[6:]] for row in rows]


def backslashes(tmp_path):
    return W.with_backslashes(CLEAN, tmp_path / "考勤导出.xlsx")


def relocated(tmp_path):
    return W.relocated_xlsx(CLEAN, tmp_path / "移位.xlsx")


def minimal(tmp_path):
    return W.minimal_xlsx(tmp_path / "最小.xlsx", clean_rows(5), "户籍人口")


def book_stream(tmp_path):
    return W.with_stream_named(LEGACY, tmp_path / "旧版.xls", "BOOK")


def xlsx_named_xls(tmp_path):
    path = tmp_path / "其实是xlsx.xls"
    path.write_bytes(CLEAN.read_bytes())
    return path


def xls_named_xlsx(tmp_path):
    path = tmp_path / "其实是xls.xlsx"
    path.write_bytes(LEGACY.read_bytes())
    return path


def ods(tmp_path):
    return W.write_ods(tmp_path / "户籍.ods", clean_rows(5), "户籍人口")


def xlsb(tmp_path):
    return W.write_xlsb(tmp_path / "户籍.xlsb", clean_rows(5), "户籍人口")


def relocated_xlsb(tmp_path):
    source = W.write_xlsb(tmp_path / "source.xlsb", clean_rows(5), "户籍人口")
    return W.relocated_xlsx(source, tmp_path / "移位.xlsb", folder="binary", workbook="book.bin")


def ods_named_xlsx(tmp_path):
    return W.write_ods(tmp_path / "其实是ods.xlsx", clean_rows(5), "户籍人口")


# Some exporters add an ODF-style manifest to the .xlsx they write: it lists the package's parts, not an .ods.
XLSX_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>'
    '<manifest:file-entry manifest:full-path="xl/workbook.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def xlsx_with_manifest(tmp_path, name: str = "带清单.xlsx"):
    """A workbook saved by openpyxl, then given a META-INF/manifest.xml: an OOXML package all the same."""
    book = openpyxl.Workbook()
    book.active.title = "户籍人口"
    for row in clean_rows(5):
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/manifest.xml", XLSX_MANIFEST)
    return path


def xlsx_with_manifest_named_ods(tmp_path):
    return xlsx_with_manifest(tmp_path, "其实是xlsx.ods")


def ods_without_mimetype(tmp_path):
    """An .ods whose manifest alone says what it is (no mimetype entry, no [Content_Types].xml)."""
    source = W.write_ods(tmp_path / "source.ods", clean_rows(5), "户籍人口")
    target = tmp_path / "无类型.ods"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != "mimetype":
                new.writestr(info.filename, old.read(info))
    return target


# builder -> (real format, the file it must read the same as, rows)
VARIANTS = {
    backslashes: ("xlsx", CLEAN, 100),
    relocated: ("xlsx", CLEAN, 100),
    minimal: ("xlsx", None, 5),
    book_stream: ("xls", LEGACY, None),
    xlsx_named_xls: ("xlsx", CLEAN, 100),
    xls_named_xlsx: ("xls", LEGACY, None),
    ods: ("ods", None, 5),
    xlsb: ("xlsb", None, 5),
    relocated_xlsb: ("xlsb", None, 5),
    ods_named_xlsx: ("ods", None, 5),
    xlsx_with_manifest: ("xlsx", None, 5),
    xlsx_with_manifest_named_ods: ("xlsx", None, 5),
    ods_without_mimetype: ("ods", None, 5),
}
BUILDERS = pytest.mark.parametrize("build", list(VARIANTS), ids=[b.__name__ for b in VARIANTS])


def upload(client, path):
    with path.open("rb") as fh:
        return client.post(reverse("collection:batch_upload"), {"file": fh, "region": TOWNSHIP_A})


def staged(batch: Batch) -> list[dict]:
    return [row.values for row in StagedRow.objects.filter(batch=batch).order_by("row")]


def as_read(path) -> tuple[int, int, list[dict]]:
    batch = Batch.objects.order_by("-pk").first()
    return batch.rows, batch.invalid, staged(batch)


@BUILDERS
def test_the_guard_names_the_real_format_and_calamine_opens_it(build, tmp_path):
    path = build(tmp_path)
    guarded = check_upload(path, path.name)
    assert guarded.format == VARIANTS[build][0]
    book = opening.open_workbook(path, guarded)
    assert opening.load_sheet(book, opening.visible_sheet_names(book)[0]).height >= 5


@BUILDERS
@pytest.mark.django_db
def test_the_web_upload_reads_and_verifies_every_row(build, client, collector_a, tmp_path):
    _fmt, same_as, rows = VARIANTS[build]
    client.force_login(collector_a)
    response = upload(client, build(tmp_path))
    assert response.status_code == 302, response.content.decode()[:500]
    count, invalid, values = as_read(build)
    if same_as is not None:  # the same rows, values and findings as the file in its usual form
        assert upload(client, same_as).status_code == 302
        assert (count, invalid, values) == as_read(same_as)
    if rows is not None:
        assert (count, invalid) == (rows, 0)
    if same_as is not LEGACY:
        assert values[0]["id_number"] == FIRST_ID and values[0]["birth_date"] == "1957-09-18"


@BUILDERS
@pytest.mark.django_db
def test_import_workbook_reads_and_verifies_every_row(build, tmp_path):
    _fmt, same_as, rows = VARIANTS[build]
    path = build(tmp_path)
    out = io.StringIO()
    call_command("import_workbook", str(path), "--region", TOWNSHIP_A, "--dry-run", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    if same_as is not None:
        again = io.StringIO()
        call_command("import_workbook", str(same_as), "--region", TOWNSHIP_A, "--dry-run", "--json", stdout=again)
        expected = json.loads(again.getvalue())
        assert (summary["rows"], summary["valid"]) == (expected["rows"], expected["valid"])
    if rows is not None:
        assert (summary["rows"], summary["valid"]) == (rows, rows)


@pytest.mark.parametrize("build", [backslashes, relocated, ods, xlsb, xlsx_with_manifest], ids=lambda b: b.__name__)
@pytest.mark.django_db
def test_the_annotated_workbook_of_a_variant_is_an_xlsx_with_the_rows_in_place(build, client, collector_a, tmp_path):
    client.force_login(collector_a)
    batch_id = upload(client, build(tmp_path)).url.split("/")[-2]
    response = client.get(reverse("collection:batch_report", args=[batch_id]))
    report = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(report)).worksheets[0]
    assert str(sheet["B2"].value) == FIRST_ID
    assert zipfile.ZipFile(io.BytesIO(report)).testzip() is None


def ods_bomb(tmp_path):
    """An .ods whose one extra part inflates 1000-fold (64 MB of zeros)."""
    path = W.write_ods(tmp_path / "炸弹.ods", clean_rows(2), "户籍人口")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Pictures/padding.bin", b"\0" * (64 << 20))
    return path


def xlsb_with_entities(tmp_path):
    """An .xlsb whose workbook relationships declare XML entities."""
    path = W.write_xlsb(tmp_path / "实体.xlsb", clean_rows(2), "户籍人口")
    laughs = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Relationships>&a;</Relationships>'
    return W.rewrite_zip(path, tmp_path / "实体2.xlsb", replace={"xl/_rels/workbook.bin.rels": laughs})


def unsafe_names(tmp_path):
    """The backslash export with one more entry that climbs out of the package."""
    path = backslashes(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("..\\..\\evil.xml", "<x/>")
    return path


@pytest.mark.parametrize(
    ("build", "words"),
    [(ods_bomb, "压缩炸弹"), (xlsb_with_entities, "XML 实体"), (unsafe_names, "压缩结构异常")],
    ids=lambda value: getattr(value, "__name__", ""),
)
@pytest.mark.django_db
def test_a_hostile_ods_xlsb_or_package_is_refused_whole_at_both_doors(
    build, words, client, collector_a, media, tmp_path
):
    client.force_login(collector_a)
    path = build(tmp_path)
    response = upload(client, path)
    assert response.status_code == 400 and words in response.content.decode()
    err = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("import_workbook", str(path), "--region", TOWNSHIP_A, stderr=err)
    assert stopped.value.code == 2 and words in err.getvalue()
    assert intake_counts() == {"Batch": 0, "StagedRow": 0, "BatchIssue": 0} and stored_files(media) == []
