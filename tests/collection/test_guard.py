"""Upload checks before parsing: every hostile or unusable file is refused with a Chinese message, quickly and
within bounded memory. The hostile files are generated here (see tests/data/bad/README.md)."""

import io
import os
import struct
import time
import tracemalloc
import zipfile

import pytest

from collection.pipeline import opening
from collection.pipeline.guard import check_upload
from collection.pipeline.types import RejectedFile
from tests.collection import workbooks as W
from tests.collection.cfb import build_cfb
from tests.collection.intake_fixtures import DATA, P0101_HEADER, P0101_ROW, write_xlsx

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">\n' for i in range(1, 10))
    + "]>\n<Properties>&lol9;</Properties>\n"
)


def rejected(path, name=None, code=None, seconds=3.0, mebibytes=64):
    """Assert the guard refuses the file in bounded time and memory; return the Chinese message."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(RejectedFile) as caught:
            check_upload(path, name or path.name)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < seconds
    assert peak < mebibytes * 1024 * 1024
    if code:
        assert caught.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    return caught.value.message


def rezip(source, target, extra: dict[str, bytes]):
    """A copy of an xlsx with parts added or replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename not in extra:
                new.writestr(info, old.read(info))
        for name, data in extra.items():
            new.writestr(name, data)
    return target


@pytest.fixture
def good_xlsx(tmp_path):
    return write_xlsx(tmp_path / "good.xlsx", [P0101_HEADER, P0101_ROW])


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("sample_p0101_clean.xlsx", "xlsx"), ("sample_p0101_legacy.xls", "xls"), ("sample_p0101_gbk.csv", "csv")],
)
def test_real_spreadsheets_pass_with_their_format(name, fmt):
    assert check_upload(DATA / name, name).format == fmt


def test_the_format_comes_from_the_content_not_the_name(tmp_path):
    renamed = tmp_path / "really_xlsx.xls"
    renamed.write_bytes((DATA / "sample_p0101_clean.xlsx").read_bytes())
    assert check_upload(renamed, renamed.name).format == "xlsx"


def test_an_html_page_renamed_xlsx_is_refused(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_text("<html><body><table><tr><td>姓名</td></tr></table></body></html>", encoding="utf-8")
    assert "不是有效的 Excel 工作簿" in rejected(path, code="not_excel")


def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "noise.xlsx"
    path.write_bytes(os.urandom(200_000))
    rejected(path, code="not_excel")


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "空" in rejected(path, code="empty")


@pytest.mark.parametrize("name", ["report.docx", "scan.pdf", "data.txt", "noext"])
def test_unsupported_extensions_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 whatever")
    assert "不支持的文件类型" in rejected(path, code="unsupported_type")


def test_an_over_size_file_is_refused(tmp_path, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    path = tmp_path / "big.csv"
    path.write_text("姓名\n" + "王五\n" * 1000, encoding="utf-8")
    assert "文件过大" in rejected(path, code="too_large")


def test_a_zip_bomb_is_refused_by_its_compression_ratio(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            zeros = b"\0" * (1 << 20)
            for _ in range(64):  # 64 MB of zeros, about 64 KB compressed: a ratio near 1000
                part.write(zeros)
    assert path.stat().st_size < 256 * 1024
    assert "压缩炸弹" in rejected(path, code="zip_bomb")


def test_a_zip_bomb_whose_headers_lie_about_its_size_is_refused(tmp_path, good_xlsx):
    path = rezip(good_xlsx, tmp_path / "liar.xlsx", {"xl/worksheets/sheet2.xml": b"<x/>" + b" " * (64 << 20)})
    data = bytearray(path.read_bytes())
    lie = struct.pack("<I", 5_000_000)  # declare 5 MB for the 64 MB part, in both headers
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = -1
        while (at := data.find(signature, at + 1)) >= 0:
            name_at = at + (30 if offset == 22 else 46)
            if data[name_at : name_at + 24] == b"xl/worksheets/sheet2.xml":
                data[at + offset : at + offset + 4] = lie
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet2.xml").file_size == 5_000_000
    assert "压缩炸弹" in rejected(path, code="zip_bomb")


def test_a_zip_over_the_uncompressed_limit_is_refused(tmp_path, settings, good_xlsx):
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 4096
    rejected(good_xlsx, code="zip_bomb")


def test_a_zip_with_a_huge_number_of_entries_is_refused_before_listing_them(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for i in range(10_001):
            archive.writestr(f"x/{i}", b"")
    rejected(path, code="zip_bomb")


def test_billion_laughs_inside_an_xlsx_is_refused(tmp_path, good_xlsx):
    path = rezip(good_xlsx, tmp_path / "laughs.xlsx", {"docProps/custom.xml": BILLION_LAUGHS.encode()})
    assert "DOCTYPE" in rejected(path, code="xml_entities")


def test_a_doctype_in_the_shared_strings_is_refused(tmp_path, good_xlsx):
    doc = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY e "x">]><sst><si><t>&e;</t></si></sst>'
    path = rezip(good_xlsx, tmp_path / "sst.xlsx", {"xl/sharedStrings.xml": doc})
    rejected(path, code="xml_entities")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "word.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    rejected(path, code="not_excel")


def test_a_truncated_xlsx_is_refused(tmp_path, good_xlsx):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good_xlsx.read_bytes()[:3000])
    rejected(path, code="not_excel")


def test_an_encrypted_xlsx_which_is_an_ole_container_is_refused(tmp_path):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(build_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": os.urandom(5000)}))
    assert "工作簿已加密，请取消密码后重新上传" in rejected(path, code="encrypted")


def test_a_password_protected_xls_is_refused(tmp_path):
    bof = b"\x09\x08\x10\x00" + b"\x00\x06\x05\x00" + b"\x00" * 12
    filepass = b"\x2f\x00\x06\x00" + b"\x00\x00\x01\x00\x01\x00"
    path = tmp_path / "secret.xls"
    path.write_bytes(build_cfb({"Workbook": bof + filepass + b"\x0a\x00\x00\x00"}))
    rejected(path, code="encrypted")


def test_an_ole_file_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(build_cfb({"WordDocument": b"\x00" * 100}))
    rejected(path, code="not_excel")


def test_a_binary_file_named_csv_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(os.urandom(50_000))
    assert "不是文本" in rejected(path, code="not_text")


def test_bad_input_files_listed_in_tests_data_bad_are_refused():
    """Committed small hostile files (the generated ones above cover the rest)."""
    files = sorted(p for p in (DATA / "bad").iterdir() if p.name != "README.md")
    assert files
    for path in files:
        rejected(path)


def test_the_cfb_builder_makes_a_container_olefile_reads():
    import olefile

    with olefile.OleFileIO(io.BytesIO(build_cfb({"Workbook": b"x"}))) as ole:
        assert ole.listdir() == [["Workbook"]]


def test_a_broken_deflate_stream_in_a_big_part_is_refused_as_not_excel(tmp_path, good_xlsx):
    """The guard inflates big parts itself (ISA-L's inflater): its own error class must become the Chinese refusal."""
    import random

    text = "".join(random.Random(3).choices("甲乙丙丁abcdefgh", k=400_000)).encode()
    path = rezip(good_xlsx, tmp_path / "broken.xlsx", {"xl/media/notes.bin": text})
    data = bytearray(path.read_bytes())
    at = data.find(b"xl/media/notes.bin") + len(b"xl/media/notes.bin")  # its local header comes first: data follows
    info = zipfile.ZipFile(path).getinfo("xl/media/notes.bin")
    assert info.compress_size > 16 * 1024  # big enough to be inflated by the guard
    middle = at + info.compress_size // 2
    data[middle : middle + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    rejected(path, code="not_excel")


# ----------------------------------------------------------------------------- .ods, .xlsb and unusual packages


def test_a_zip_bomb_in_an_ods_is_refused(tmp_path):
    path = W.write_ods(tmp_path / "bomb.ods", [["姓名"]])
    path = rezip(path, tmp_path / "bomb2.ods", {"Pictures/padding.bin": b"\0" * (64 << 20)})
    assert "压缩炸弹" in rejected(path, code="zip_bomb")


def test_billion_laughs_in_an_ods_is_refused(tmp_path):
    path = W.write_ods(tmp_path / "laughs.ods", [["姓名"]])
    path = rezip(path, tmp_path / "laughs2.ods", {"content.xml": BILLION_LAUGHS.encode()})
    rejected(path, code="xml_entities")


def test_an_encrypted_ods_is_refused(tmp_path):
    path = W.write_ods(tmp_path / "secret.ods", [["姓名"]])
    manifest = (
        b'<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        b'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        b'<manifest:encryption-data manifest:checksum-type="SHA1"/></manifest:file-entry></manifest:manifest>'
    )
    path = rezip(path, tmp_path / "secret2.ods", {"META-INF/manifest.xml": manifest})
    assert "已加密" in rejected(path, code="encrypted")


def test_an_opendocument_text_named_ods_is_refused(tmp_path):
    path = tmp_path / "letter.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    rejected(path, code="not_excel")


def test_an_encrypted_xlsb_which_is_an_ole_container_is_refused(tmp_path):
    path = tmp_path / "secret.xlsb"
    path.write_bytes(build_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": os.urandom(5000)}))
    rejected(path, code="encrypted")


def test_an_xls_whose_stream_is_named_book_in_capitals_passes(tmp_path):
    path = W.with_stream_named(DATA / "sample_p0101_legacy.xls", tmp_path / "book.xls", "BOOK")
    assert check_upload(path, path.name).format == "xls"


@pytest.mark.parametrize(
    "names",
    [
        ["[Content_Types].xml", "xl/workbook.xml", "..\\..\\etc\\cron.d\\evil.xml"],
        ["[Content_Types].xml", "xl/workbook.xml", "/etc/evil.xml"],
        ["[Content_Types].xml", "xl/workbook.xml", "C:\\evil.xml"],
        ["[Content_Types].xml", "xl/workbook.xml", "xl\\workbook.xml"],  # two entries, one part: which is read?
    ],
)
def test_a_package_with_unsafe_or_ambiguous_entry_names_is_refused_whole(tmp_path, names):
    path = tmp_path / "names.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), "<x/>")
    assert "压缩结构异常" in rejected(path, code="unsafe_names")


def test_a_workbook_relationship_pointing_out_of_the_package_is_refused(tmp_path, good_xlsx):
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'officeDocument" Target="../../xl/workbook.xml"/></Relationships>'
    )
    rejected(rezip(good_xlsx, tmp_path / "out.xlsx", {"_rels/.rels": rels}), code="not_excel")


def test_the_usual_layout_copy_reads_no_part_past_its_declared_size(tmp_path, good_xlsx):
    """A small part (not inflated by the guard) whose headers understate it: the copy stops at the declared size
    and the CRC refuses the file, whole."""
    path = W.with_backslashes(good_xlsx, tmp_path / "slashes.xlsx")
    path = rezip(path, tmp_path / "liar.xlsx", {"xl\\media\\note.bin": b" " * (8 << 20)})
    data = bytearray(path.read_bytes())
    name = b"xl\\media\\note.bin"
    for signature, offset, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = -1
        while (at := data.find(signature, at + 1)) >= 0:
            if data[at + name_at : at + name_at + len(name)] == name:
                data[at + offset : at + offset + 4] = struct.pack("<I", 100)
    path.write_bytes(bytes(data))
    guarded = check_upload(path, path.name)  # passes: 100 bytes declared, about 9 KB packed
    assert not guarded.usual_layout
    with pytest.raises(RejectedFile):
        opening.open_workbook(path, guarded)


def test_a_crafted_xlsb_that_makes_calamine_panic_is_refused_not_crashed(tmp_path):
    path = W.write_xlsb(tmp_path / "panic.xlsb", [["姓名"], ["王五"]])
    rels = (
        b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b"</Relationships>"
    )  # the sheet's relationship rId1 is missing
    path = rezip(path, tmp_path / "panic2.xlsb", {"xl/_rels/workbook.bin.rels": rels})
    guarded = check_upload(path, path.name)
    with pytest.raises(RejectedFile) as caught:
        opening.open_workbook(path, guarded)
    assert "无法读取工作簿" in caught.value.message
