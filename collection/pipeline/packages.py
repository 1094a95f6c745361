"""Zip packages of spreadsheets (.xlsx/.xlsm/.xlsb, .ods): what a package is, by its content, and a copy in the usual
layout when a legal package is laid out in a way the readers do not follow.

Legal variants met in real files: entry names written with backslashes (exports of some Chinese attendance and
finance systems), and a workbook part somewhere else than xl/workbook.xml (Open Packaging Conventions find it through
the officeDocument relationship of _rels/.rels), an .ods whose manifest alone names its type (no mimetype entry).
calamine and openpyxl look for the usual paths (calamine for the .ods mimetype entry), so such a package is copied
into a temporary one in the usual layout (`write_usual_layout`) and that copy is opened. An .xlsx may carry a
META-INF/manifest.xml (some exporters add one): [Content_Types].xml and its workbook part make it OOXML all the same.

The guard (guard.py) inspects every package before anything else reads it: sizes, ratios, encryption and XML prologs
first, then `inspect_package` (which parses only relationship parts, after their prologs were checked). Unsafe entry
names (absolute, drive letters, ".." segments, two entries that name the same part) refuse the whole file. The copy
reads each part bounded by its declared size (zipfile stops there and checks the CRC), sizes the guard has checked.
"""

import posixpath
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from defusedxml.ElementTree import fromstring as parse_xml

from .types import RejectedFile

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
CONTENT_TYPES = "[Content_Types].xml"
PACKAGE_RELS = "_rels/.rels"
USUAL_WORKBOOK = {"xlsx": "xl/workbook.xml", "xlsb": "xl/workbook.bin"}
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
SMALL_PART_MAX_BYTES = 4 << 20  # relationship and content-type parts are read whole: a few KB in real files
# Parts calamine finds by a fixed path, by the type of the workbook's relationship to them.
FIXED_PARTS = {"sharedStrings": "xl/sharedStrings", "styles": "xl/styles"}
SHEET_FOLDERS = {"worksheet": "xl/worksheets", "chartsheet": "xl/chartsheets", "dialogsheet": "xl/dialogsheets"}

NOT_SPREADSHEET = (
    "文件不是有效的 Excel 工作簿（可能是网页、压缩包或其他文件改了扩展名）。"
    "请用 Excel 或 WPS 打开后“另存为” .xlsx 格式再上传。"
)
UNSAFE_NAMES = (
    "工作簿的压缩结构异常（含有绝对路径、“..”或重名的部件），已拒绝。请用 Excel 或 WPS 打开后“另存为” .xlsx 再上传。"
)
ENCRYPTED_ODS = "工作簿已加密，请取消密码后重新上传（WPS 或 LibreOffice：文件 → 属性 → 安全，清除密码后保存）。"


@dataclass(frozen=True)
class Package:
    """A spreadsheet package: its format, its workbook part and whether readers can open it as it is."""

    format: str  # "xlsx" | "xlsb" | "ods"
    workbook: str  # part name of the workbook ("content.xml" for .ods)
    usual_layout: bool  # entry names with "/" and the workbook where the readers look for it


def part_names(infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """Part name ("/" separators) -> entry; refuses unsafe or ambiguous names. Folder entries are left out."""
    parts: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.endswith("/"):
            continue
        segments = name.split("/")
        if name.startswith("/") or ":" in segments[0] or ".." in segments or "\0" in name or name in parts:
            raise RejectedFile(UNSAFE_NAMES, code="unsafe_names")
        parts[name] = info
    return parts


def inspect_package(archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]) -> Package:
    """What a zip is, by its content: an OOXML workbook (.xlsx/.xlsm or .xlsb) when it has [Content_Types].xml and
    the workbook part its relationships lead to, else an OpenDocument spreadsheet (its mimetype or manifest says so).

    OOXML is asked first: some exporters add a META-INF/manifest.xml to an .xlsx, which does not make it an .ods."""
    backslashes = any("\\" in info.filename for info in parts.values())
    workbook = office_document(archive, parts) if CONTENT_TYPES in parts else None
    if workbook is not None and workbook in parts:
        fmt = "xlsb" if workbook.lower().endswith(".bin") else "xlsx"
        return Package(fmt, workbook, not backslashes and workbook == USUAL_WORKBOOK[fmt])
    if "mimetype" in parts or "META-INF/manifest.xml" in parts:
        return _inspect_ods(archive, parts, backslashes)
    raise RejectedFile(NOT_SPREADSHEET, code="not_excel")


def _inspect_ods(archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], backslashes: bool) -> Package:
    mimetype = read_small(archive, parts["mimetype"]).strip() if "mimetype" in parts else b""
    manifest = read_small(archive, parts["META-INF/manifest.xml"]) if "META-INF/manifest.xml" in parts else b""
    if mimetype != ODS_MIMETYPE and b'media-type="' + ODS_MIMETYPE + b'"' not in manifest:
        raise RejectedFile(NOT_SPREADSHEET, code="not_excel")
    if b"encryption-data" in manifest:
        raise RejectedFile(ENCRYPTED_ODS, code="encrypted")
    if "content.xml" not in parts:
        raise RejectedFile(NOT_SPREADSHEET, code="not_excel")
    # calamine opens an .ods only through its mimetype entry: one declared by the manifest alone is given one
    return Package("ods", "content.xml", not backslashes and mimetype == ODS_MIMETYPE)


def office_document(archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]) -> str | None:
    """The workbook's part name: the target of the package's officeDocument relationship, else the usual path."""
    if PACKAGE_RELS in parts:
        for rel_type, target in relationships(read_small(archive, parts[PACKAGE_RELS])):
            if rel_type == "officeDocument":
                return resolve("", target)
    return next((name for name in USUAL_WORKBOOK.values() if name in parts), None)


def relationships(data: bytes) -> list[tuple[str, str]]:
    """(type's last segment, target) of each internal relationship of a .rels part."""
    found = []
    for rel in _parse(data).iter(f"{{{RELS_NS}}}Relationship"):
        if rel.get("TargetMode") != "External" and rel.get("Target"):
            found.append((rel.get("Type", "").rsplit("/", 1)[-1], rel.get("Target")))
    return found


def resolve(folder: str, target: str) -> str | None:
    """The part name a relationship target names, from the folder of its source; None when it leaves the package."""
    target = unquote(target.replace("\\", "/"))
    joined = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
    name = posixpath.normpath(joined) if joined else ""
    return None if not name or name == "." or name.startswith("..") or name.startswith("/") else name


def read_small(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > SMALL_PART_MAX_BYTES:
        raise RejectedFile(NOT_SPREADSHEET, code="not_excel")
    with archive.open(info) as part:
        return part.read(SMALL_PART_MAX_BYTES + 1)[:SMALL_PART_MAX_BYTES]


def _parse(data: bytes) -> ElementTree.Element:
    try:
        return parse_xml(data)
    except Exception as exc:  # defusedxml's refusals and ParseError alike: the package is unusable
        raise RejectedFile(NOT_SPREADSHEET, code="not_excel") from exc


# ----------------------------------------------------------------------------- the usual layout


def rels_part(name: str) -> str:
    """The relationship part of a part (OPC: folder/_rels/name.rels)."""
    folder, base = posixpath.split(name)
    return posixpath.join(folder, "_rels", base + ".rels")


def source_of(rels: str) -> str | None:
    """The part a relationship part belongs to ("" for the package's own _rels/.rels)."""
    folder, base = posixpath.split(rels)
    if posixpath.basename(folder) != "_rels" or not base.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


def usual_names(archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], package: Package) -> dict[str, str]:
    """Part name -> name in the usual layout, for the parts that move: the workbook, its relationship part and the
    parts it relates to (sheets under xl/worksheets/, shared strings and styles at their fixed paths)."""
    if package.format == "ods" or package.workbook == USUAL_WORKBOOK[package.format]:
        return {}
    workbook, folder = package.workbook, posixpath.dirname(package.workbook)
    ext = posixpath.splitext(USUAL_WORKBOOK[package.format])[1]
    moves = {workbook: USUAL_WORKBOOK[package.format]}
    taken = set(parts) - {workbook}
    if rels_part(workbook) in parts:
        for rel_type, target in relationships(read_small(archive, parts[rels_part(workbook)])):
            name = resolve(folder, target)
            if name is None or name not in parts or name in moves:
                continue
            if rel_type in FIXED_PARTS:
                new = FIXED_PARTS[rel_type] + ext
            elif rel_type in SHEET_FOLDERS:
                new = posixpath.join(SHEET_FOLDERS[rel_type], posixpath.basename(name))
            elif not folder or name.startswith(folder + "/"):
                new = posixpath.join("xl", posixpath.relpath(name, folder or "."))
            else:
                new = posixpath.join("xl", name)
            if new != name:
                moves[name] = _free_name(new, taken, moves)
    for old in list(moves):  # each moved part takes its relationships along
        if rels_part(old) in parts:
            moves[rels_part(old)] = rels_part(moves[old])
    return moves


def _free_name(wanted: str, taken: set[str], moves: dict[str, str]) -> str:
    used = (taken - set(moves)) | set(moves.values())
    name, n = wanted, 1
    while name in used:
        stem, ext = posixpath.splitext(wanted)
        name, n = f"{stem}_{n}{ext}", n + 1
    return name


def write_usual_layout(source: Path, target: Path, package: Package) -> None:
    """Copy a guarded package to `target` with "/" in every name and the workbook at xl/workbook.xml (.bin), every
    relationship and content-type entry rewritten to the moved parts; an .ods gets its mimetype entry. Parts are
    stored (no compression: the copy is temporary, and storing is the fastest)."""
    try:
        with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as copy:
            parts = part_names(archive.infolist())
            moves = usual_names(archive, parts, package)
            ods = package.format == "ods"
            if ods:  # first and stored, as ODF wants, naming the format the guard found (the manifest's)
                copy.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE)
            names = [n for n in parts if not (ods and n == "mimetype")]
            first = [CONTENT_TYPES] if CONTENT_TYPES in names else []
            for name in first + [n for n in names if n not in first]:
                new = moves.get(name, name)
                if name == CONTENT_TYPES and moves:
                    copy.writestr(new, _moved_content_types(read_small(archive, parts[name]), moves))
                elif moves and source_of(name) is not None:
                    copy.writestr(new, _moved_relationships(read_small(archive, parts[name]), name, new, moves))
                else:
                    with archive.open(parts[name]) as part, copy.open(new, "w", force_zip64=True) as out:
                        shutil.copyfileobj(part, out, 1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, OSError) as exc:
        raise RejectedFile(NOT_SPREADSHEET, code="not_excel") from exc


def _moved_relationships(data: bytes, rels: str, new_rels: str, moves: dict[str, str]) -> bytes:
    """Targets that name a moved part name it where it is now; the relationships of a moved part name absolute
    part names (their folder changed)."""
    folder, new_folder = posixpath.dirname(source_of(rels)), posixpath.dirname(source_of(new_rels))
    entries = []
    for rel in _parse(data).iter(f"{{{RELS_NS}}}Relationship"):
        attributes, target = dict(rel.attrib), rel.get("Target")
        name = resolve(folder, target) if target and rel.get("TargetMode") != "External" else None
        if name is not None and (name in moves or rels != new_rels):
            moved = moves.get(name, name)
            if not new_folder:
                attributes["Target"] = quote(moved)
            elif moved.startswith(new_folder + "/"):
                attributes["Target"] = quote(posixpath.relpath(moved, new_folder))
            else:
                attributes["Target"] = "/" + quote(moved)
        entries.append(("Relationship", attributes))
    return _xml("Relationships", RELS_NS, entries)


def _moved_content_types(data: bytes, moves: dict[str, str]) -> bytes:
    entries = []
    for element in _parse(data):
        tag, attributes = element.tag.rsplit("}", 1)[-1], dict(element.attrib)
        name = resolve("", attributes.get("PartName", "")) if tag == "Override" else None
        if name in moves:
            attributes["PartName"] = "/" + moves[name]
        entries.append((tag, attributes))
    return _xml("Types", TYPES_NS, entries)


def _xml(root: str, namespace: str, entries: list[tuple[str, dict[str, str]]]) -> bytes:
    """A flat XML part (relationships, content types) in its namespace as the default one, as Excel writes it."""
    lines = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{root} xmlns={quoteattr(namespace)}>']
    for tag, attributes in entries:
        plain = {k: v for k, v in attributes.items() if not k.startswith("{")}  # no foreign attributes
        lines.append(f"<{tag} " + " ".join(f"{k}={quoteattr(v)}" for k, v in plain.items()) + "/>")
    lines.append(f"</{root}>")
    return "".join(lines).encode()
