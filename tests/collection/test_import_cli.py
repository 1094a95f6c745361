"""`import_workbook` on bad input: exit 2, a Chinese message on stderr, nothing stored, in bounded time.

And the command's other promises: a dry run stores nothing, --report writes the annotated workbook, --user needs
the right to upload in the township.
"""

import io
import json
import random
import re
import time
import zipfile

import pytest
from django.conf import settings
from django.core.management import call_command

from collection.models import Batch
from tests.collection.batch_fixtures import DATA, intake_counts, media, stored_files, write_xlsx  # noqa: F401 (fixtures)
from tests.conftest import TOWNSHIP_A

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")
CJK = re.compile(r"[\u4e00-\u9fff]")
CLEAN = DATA / "sample_p0101_clean.xlsx"


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_workbook", *map(str, argv), stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------------- builders of hostile files


def html_page(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_text("<!DOCTYPE html><html><body><table><tr><td>姓名</td></tr></table></body></html>")
    return path


def empty_file(tmp_path):
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    return path


def random_bytes(tmp_path):
    path = tmp_path / "乱码.xlsx"
    path.write_bytes(random.Random(7).randbytes(64 * 1024))
    return path


def random_csv(tmp_path):
    path = tmp_path / "乱码.csv"
    path.write_bytes(random.Random(8).randbytes(16 * 1024))
    return path


def zip_bomb(tmp_path):
    """A workbook-shaped zip whose one part inflates 1000-fold (64 MB of zeros)."""
    path = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(CLEAN) as clean:
            for info in clean.infolist():
                archive.writestr(info.filename, clean.read(info.filename))
        archive.writestr("xl/media/padding.bin", b"\0" * (64 * 1024 * 1024))
    return path


def xml_entities(tmp_path):
    """The clean sample with a billion-laughs DOCTYPE in front of its shared strings."""
    path = tmp_path / "实体.xlsx"
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    with zipfile.ZipFile(CLEAN) as clean, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in clean.infolist():
            data = clean.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                data = laughs + data.split(b"?>", 1)[1]
            archive.writestr(info.filename, data)
    return path


def encrypted_xls(tmp_path):
    """The legacy .xls sample with a FILEPASS record right after its BOF, as Excel writes a password-protected file."""
    data = bytearray((DATA / "sample_p0101_legacy.xls").read_bytes())
    bof = data.index(b"\x09\x08\x10\x00")  # BIFF8 BOF record of the Workbook stream
    data[bof + 20 : bof + 22] = b"\x2f\x00"
    path = tmp_path / "加密.xls"
    path.write_bytes(bytes(data))
    return path


def no_header(tmp_path):
    return write_xlsx(tmp_path / "无表头.xlsx", [["1", "2", "3"]] * 5, headers=["甲", "乙", "丙"])


def unsupported_name(tmp_path):
    path = tmp_path / "名单.pdf"
    path.write_bytes(CLEAN.read_bytes())
    return path


# Each hostile file and a word its refusal must name, so it is refused for the right reason.
HOSTILE = [(html_page, "不是有效的 Excel"), (empty_file, "空"), (random_bytes, "不是有效的 Excel"),
           (random_csv, "不是文本"), (zip_bomb, "压缩炸弹"), (xml_entities, "XML 实体"), (encrypted_xls, "加密"),
           (no_header, "表头"), (unsupported_name, "不支持的文件类型")]  # fmt: skip


def assert_refused_and_nothing_stored(code: int, err: str) -> None:
    assert code == 2, err
    assert CJK.search(err), f"stderr is not Chinese: {err!r}"
    assert intake_counts() == {"Batch": 0, "StagedRow": 0, "BatchIssue": 0}
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize(("build", "reason"), HOSTILE, ids=[f.__name__ for f, _ in HOSTILE])
def test_a_hostile_or_unreadable_file_exits_2_in_chinese_and_stores_nothing(build, reason, tmp_path):
    path = build(tmp_path)
    started = time.monotonic()
    code, out, err = run(path, "--region", TOWNSHIP_A, "--json")
    assert time.monotonic() - started < 20
    assert_refused_and_nothing_stored(code, err)
    assert reason in err
    assert out == ""


def test_a_file_over_the_size_limit_exits_2(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    assert_refused_and_nothing_stored(*run(CLEAN, "--region", TOWNSHIP_A, "--json")[::2])


# A county or city code is a department's roster (tests/collection/test_routing.py): refused for township users.
@pytest.mark.parametrize(
    ("region", "extra"),
    [("999999999", []), ("37060", []), (TOWNSHIP_A, ["--subcategory", "X9999"])],
    ids=["unknown region", "no level", "unknown subcategory"],
)
def test_an_unknown_region_or_subcategory_exits_2(region, extra):
    assert_refused_and_nothing_stored(*run(CLEAN, "--region", region, *extra, "--json")[::2])


@pytest.mark.parametrize("region", ["370602", "3706"])
def test_a_collector_may_not_upload_for_a_county_or_the_city(region, collector_a):
    code, _out, err = run(CLEAN, "--region", region, "--user", collector_a.username, "--json")
    assert_refused_and_nothing_stored(code, err)
    assert "部门用户" in err


def test_a_user_may_not_upload_for_another_township(collector_b):
    code, _out, err = run(CLEAN, "--region", TOWNSHIP_A, "--user", collector_b.username, "--json")
    assert_refused_and_nothing_stored(code, err)
    assert "权限" in err


def test_a_missing_file_exits_2():
    assert_refused_and_nothing_stored(*run(DATA / "no_such_file.xlsx", "--region", TOWNSHIP_A)[::2])


def test_a_dry_run_stores_nothing_and_reports_would_be_counts():
    code, out, _err = run(CLEAN, "--region", TOWNSHIP_A, "--dry-run", "--json")
    summary = json.loads(out)
    assert (code, summary["batch"], summary["rows"], summary["created"]) == (0, None, 100, 100)
    assert intake_counts() == {"Batch": 0, "StagedRow": 0, "BatchIssue": 0}
    assert stored_files(settings.MEDIA_ROOT) == []


def test_a_collector_run_verifies_but_does_not_merge(collector_a):
    code, out, _err = run(CLEAN, "--region", TOWNSHIP_A, "--user", collector_a.username, "--json")
    summary = json.loads(out)
    assert (code, summary["status"], summary["valid"], summary["created"]) == (0, "pending_review", 100, 0)
    assert Batch.objects.get().uploaded_by == collector_a


def test_a_run_without_user_is_automation_and_merges_the_valid_rows():
    summary = json.loads(run(CLEAN, "--region", TOWNSHIP_A, "--json")[1])
    assert (summary["status"], summary["created"]) == ("merged", 100)


def test_the_report_option_writes_the_annotated_workbook(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "批注.xlsx"
    code, _out, err = run(DATA / "sample_p0101_messy.xlsx", "--region", TOWNSHIP_A, "--report", out)
    assert code == 0, err
    assert "问题清单" in load_workbook(out).sheetnames


def test_the_plain_output_is_one_chinese_line_per_sheet():
    code, out, _err = run(DATA / "sample_multi_sheet.xlsx", "--region", "370602003", "--dry-run")
    assert code == 0
    assert len(out.strip().splitlines()) == 2
    assert "有效" in out


def test_a_dry_run_report_marks_the_errors_and_stores_nothing(tmp_path):
    from openpyxl import load_workbook

    before = intake_counts()
    out = tmp_path / "批注.xlsx"
    code, _out, err = run(DATA / "sample_p0101_messy.xlsx", "--region", TOWNSHIP_A, "--dry-run", "--report", out)
    assert code == 0, err
    workbook = load_workbook(out)
    assert "问题清单" in workbook.sheetnames
    sheet = next(ws for ws in workbook.worksheets if ws.title != "问题清单")
    assert "校验" in sheet["B7"].comment.text  # row 7: wrong check digit in column B
    assert intake_counts() == before


def test_an_unknown_user_is_refused_with_exit_2():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as raised:
        run(CLEAN, "--region", TOWNSHIP_A, "--user", "nobody", "--dry-run")
    assert raised.value.returncode == 2 and CJK.search(str(raised.value))


def test_a_subcategory_code_may_be_typed_in_lower_case():
    code, out, _err = run(CLEAN, "--region", TOWNSHIP_A, "--subcategory", "p0101", "--dry-run", "--json")
    assert (code, json.loads(out)["subcategory"]) == (0, "P0101")
