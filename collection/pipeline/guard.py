"""Upload checks before any parser sees the file: type by magic bytes, size, zip bombs, encryption, XML entities.

Every check reads a bounded number of bytes (the zip central directory, the first kilobytes of each XML part,
the CFB directory; big zip parts are inflated in steps of at most 16 MB and stopped just past their declared size,
which has already passed the limits), so a hostile file is refused in bounded time and memory with a Chinese
message and nothing stored. What passes is handed to calamine (xlsx/xlsb/ods/xls) or pandas (csv), opened by what
the content is, whatever the extension says (opening.open_workbook).
"""

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from isal import isal_zlib

from . import packages
from .types import RejectedFile

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsb": "xlsb", ".xls": "xls", ".ods": "ods", ".csv": "csv"}
WORKBOOK_STREAMS = ("workbook", "book")  # BIFF8 and BIFF5; CFB names compare without case ("BOOK" is seen too)
MAX_ZIP_ENTRIES = 10_000
XML_PROLOG_BYTES = 64 * 1024  # a DOCTYPE can only sit before the root element: scanning the start is enough
RATIO_MIN_BYTES = 1024 * 1024  # small parts compress oddly; the ratio matters for big ones
VERIFY_MIN_PACKED = 16 * 1024  # deflate expands at most ~1032x: a smaller part cannot hide more than ~17 MB
BIFF_FILEPASS, BIFF_EOF = 0x002F, 0x000A
# Inflation steps: few calls, because each one gives up and takes back the GIL (the inflater works without it), and
# taking it back waits for the switch interval when another thread is busy (the CLI guards in a thread while it
# imports). 16 MB of output per call keeps the memory bounded. The inflater is ISA-L's (python-isal, zlib's API):
# 0.04 s instead of 0.11 s for the 56 MB of a 100,000-row sheet, on the path of every upload.
INFLATE_READ, INFLATE_STEP = 2 << 20, 16 << 20

NOT_EXCEL = packages.NOT_SPREADSHEET
ENCRYPTED = "工作簿已加密，请取消密码后重新上传（Excel：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码后保存）。"
ZIP_BOMB = "文件解压后过大或压缩比异常（疑似压缩炸弹），已拒绝。请上传正常保存的工作簿；数据量很大时请分成多个文件。"
XML_ENTITIES = "工作簿中含有不允许的 XML 实体声明（DOCTYPE/ENTITY），已拒绝。请用 Excel 重新“另存为” .xlsx 后上传。"


@dataclass(frozen=True)
class GuardedFile:
    """What the guard learned: the real format (by content, not by name), the size, and whether a zip package must
    be copied into the usual layout before the readers open it (packages.write_usual_layout)."""

    format: str  # "xlsx" | "xlsb" | "ods" | "xls" | "csv"
    size: int
    usual_layout: bool = True


def check_upload(path: Path, original_name: str) -> GuardedFile:
    """Refuse anything that is not a plain, unencrypted, sanely sized spreadsheet; return its real format."""
    extension = Path(original_name or path.name).suffix.lower()
    if extension not in EXTENSIONS:
        shown = extension or "（无扩展名）"
        raise RejectedFile(
            f"不支持的文件类型“{shown}”：请上传 .xlsx、.xls、.xlsb、.ods 或 .csv 文件。", code="unsupported_type"
        )
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile("文件是空的（0 字节），请检查后重新上传。", code="empty")
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise RejectedFile(
            f"文件过大（{size / 1048576:.1f} MB），上限为 {limit // 1048576} MB。请把数据分成多个文件上传。",
            code="too_large",
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(ZIP_MAGIC):
        package = check_zip(path, size)
        return GuardedFile(package.format, size, package.usual_layout)
    if head == OLE_MAGIC:
        check_ole(path)
        return GuardedFile("xls", size)
    if EXTENSIONS[extension] == "csv":
        check_text(path)
        return GuardedFile("csv", size)
    raise RejectedFile(NOT_EXCEL, code="not_excel")


def identify(path: Path) -> GuardedFile:
    """The format of a file the guard has already accepted (a stored upload), from its content alone."""
    with path.open("rb") as fh:
        head = fh.read(8)
    size = path.stat().st_size
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                package = packages.inspect_package(archive, packages.part_names(archive.infolist()))
        except (zipfile.BadZipFile, OSError) as exc:
            raise RejectedFile(NOT_EXCEL, code="not_excel") from exc
        return GuardedFile(package.format, size, package.usual_layout)
    return GuardedFile("xls" if head == OLE_MAGIC else "csv", size)


# ----------------------------------------------------------------------------- zip packages (xlsx, xlsb, ods)


def _zip_entry_count(path: Path, size: int) -> int:
    """Entries declared by the end-of-central-directory record, read before zipfile builds one object per entry."""
    with path.open("rb") as fh:
        fh.seek(max(0, size - 65_557))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        raise RejectedFile(NOT_EXCEL, code="not_excel")
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return entries


def check_zip(path: Path, size: int) -> packages.Package:
    """Central-directory checks (no extraction): entry names, sizes and ratios, encryption, XML prologs, then what
    the package is (packages.inspect_package: a workbook part must be there)."""
    if _zip_entry_count(path, size) > MAX_ZIP_ENTRIES:
        raise RejectedFile(ZIP_BOMB, code="zip_bomb")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_zip_sizes(infos)
            parts = packages.part_names(infos)
            if any(info.flag_bits & 0x1 for info in infos):
                raise RejectedFile(ENCRYPTED, code="encrypted")
            for name, info in parts.items():
                if name.endswith((".xml", ".rels", ".vml")):
                    _check_xml_prolog(archive, info)
            package = packages.inspect_package(archive, parts)
        _check_real_sizes(path, infos)
        return package
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, isal_zlib.error, EOFError, NotImplementedError,
            OSError) as exc:  # fmt: skip
        raise RejectedFile(NOT_EXCEL, code="not_excel") from exc


def _check_zip_sizes(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise RejectedFile(ZIP_BOMB, code="zip_bomb")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    ratio = settings.UPLOAD_MAX_COMPRESSION_RATIO
    if total > settings.UPLOAD_MAX_UNCOMPRESSED_BYTES or total > ratio * max(packed, RATIO_MIN_BYTES):
        raise RejectedFile(ZIP_BOMB, code="zip_bomb")
    for info in infos:
        if info.file_size > RATIO_MIN_BYTES and info.file_size > ratio * max(info.compress_size, 1):
            raise RejectedFile(ZIP_BOMB, code="zip_bomb")


def _check_real_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """The declared sizes may lie (calamine's zip reader trusts the data, not the header): inflate each big part
    with the output capped just above its declared size, so a bomb stops after at most that many bytes."""
    with path.open("rb") as fh:
        for info in infos:
            big = info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size > VERIFY_MIN_PACKED
            if big and _inflated_size(fh, info, cap=info.file_size + 1) > info.file_size:
                raise RejectedFile(ZIP_BOMB, code="zip_bomb")


def _inflated_size(fh, info: zipfile.ZipInfo, cap: int) -> int:
    fh.seek(info.header_offset)
    local = fh.read(30)
    if local[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    fh.seek(info.header_offset + 30 + name_length + extra_length)
    inflater, produced, left = isal_zlib.decompressobj(-15), 0, info.compress_size
    while produced < cap and not inflater.eof:
        if inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            data = fh.read(min(left, INFLATE_READ))
            left -= len(data)
            if not data:
                break
        produced += len(inflater.decompress(data, min(cap - produced, INFLATE_STEP)))
    return produced


def _check_xml_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse DTDs (entity expansion); the prolog is before the root element, within the first bytes."""
    with archive.open(info) as part:
        start = part.read(XML_PROLOG_BYTES)
    upper = start.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise RejectedFile(XML_ENTITIES, code="xml_entities")
    if len(start) == XML_PROLOG_BYTES and not _has_root_element(start):
        raise RejectedFile(XML_ENTITIES, code="xml_entities")  # a prolog this long hides something


def _has_root_element(data: bytes) -> bool:
    at = 0
    while (at := data.find(b"<", at)) >= 0 and at + 1 < len(data):
        if data[at + 1 : at + 2] not in (b"?", b"!"):
            return True
        at += 1
    return False


# ----------------------------------------------------------------------------- xls / encrypted OOXML (OLE2/CFB)


def check_ole(path: Path) -> None:
    """An OLE2 container is an .xls when it holds a Workbook/Book stream (any case); an encrypted .xlsx or .xlsb is
    OLE2 too."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry).lower(): "/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
            if {"encryptioninfo", "encryptedpackage"} & set(streams):
                raise RejectedFile(ENCRYPTED, code="encrypted")
            book = next((streams[name] for name in WORKBOOK_STREAMS if name in streams), None)
            if book is None:
                raise RejectedFile(NOT_EXCEL, code="not_excel")
            with ole.openstream(book) as stream:
                if _biff_has_filepass(stream.read(64 * 1024)):
                    raise RejectedFile(ENCRYPTED, code="encrypted")
    except RejectedFile:
        raise
    except Exception as exc:  # olefile raises OSError and its own errors on a broken container
        raise RejectedFile(NOT_EXCEL, code="not_excel") from exc


def _biff_has_filepass(data: bytes) -> bool:
    """A FILEPASS record among the workbook-globals records means the .xls is password protected."""
    at = 0
    while at + 4 <= len(data):
        kind, length = struct.unpack_from("<HH", data, at)
        if kind == BIFF_FILEPASS:
            return True
        if kind == BIFF_EOF:
            return False
        at += 4 + length
    return False


# ----------------------------------------------------------------------------- csv


def check_text(path: Path) -> None:
    """A .csv must be text: no NUL bytes and few control characters in its first 64 KB."""
    with path.open("rb") as fh:
        start = fh.read(64 * 1024)
    controls = sum(start.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if b"\x00" in start or controls > len(start) // 100:
        raise RejectedFile(
            "CSV 文件不是文本文件（可能是二进制或其他文件改了扩展名）。请用 Excel 另存为 CSV 或 .xlsx 后重新上传。",
            code="not_text",
        )
