"""Writers of the legal workbook variants real systems produce, built in the tests (no writer of ours exists for
some of them, and committing binaries would hide how they were made).

- `with_backslashes`: an .xlsx whose zip entry names use "\\" (exports of some Chinese attendance systems).
- `relocated_xlsx`: the same package with the workbook part moved (found through _rels/.rels, as OPC says).
- `minimal_xlsx`: the smallest valid package: [Content_Types].xml, _rels/.rels, a workbook and a sheet at the root,
  inline strings, no styles or shared strings.
- `with_stream_named`: an .xls whose workbook stream is renamed (e.g. "BOOK"): the UTF-16 name in the CFB directory.
- `write_ods`: an OpenDocument spreadsheet (mimetype, manifest, content.xml), as LibreOffice and WPS save it.
- `write_xlsb`: an Excel binary workbook (BIFF12 records per [MS-XLSB]: workbook, shared strings, styles with a
  date format, one sheet).
"""

import datetime
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import olefile

ODS = "application/vnd.oasis.opendocument.spreadsheet"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rewrite_zip(source: Path, target: Path, rename=lambda name: name, replace: dict | None = None) -> Path:
    """A copy of a zip with entries renamed and some contents replaced (by their old name)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = (replace or {}).get(info.filename, old.read(info))
            entry = zipfile.ZipInfo(rename(info.filename), info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            new.writestr(entry, data)
    return target


def with_backslashes(source: Path, target: Path) -> Path:
    return rewrite_zip(source, target, rename=lambda name: name.replace("/", "\\"))


def relocated_xlsx(source: Path, target: Path, folder: str = "excel", workbook: str = "main.xml") -> Path:
    """`source` (.xlsx or .xlsb) with xl/ renamed `folder`/ and its workbook part renamed `folder`/`workbook`
    (relationships and content types follow)."""
    moved, usual = f"{folder}/{workbook}", "xl/workbook" + Path(workbook).suffix

    def rename(name: str) -> str:
        if name == usual:
            return moved
        if name == f"xl/_rels/{Path(usual).name}.rels":
            return f"{folder}/_rels/{workbook}.rels"
        return f"{folder}/{name[3:]}" if name.startswith("xl/") else name

    with zipfile.ZipFile(source) as old:
        rels = old.read("_rels/.rels").replace(f'Target="{usual}"'.encode(), f'Target="{moved}"'.encode())
        types = old.read("[Content_Types].xml")
        for name in old.namelist():
            types = types.replace(f'PartName="/{name}"'.encode(), f'PartName="/{rename(name)}"'.encode())
    return rewrite_zip(source, target, rename, {"_rels/.rels": rels, "[Content_Types].xml": types})


def _cell_xml(ref: str, value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def minimal_xlsx(path: Path, rows: list[list], sheet: str = "Sheet1") -> Path:
    """The workbook at /workbook.xml, its sheet at /sheet1.xml: valid OPC, nothing at xl/."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    body = "".join(
        f'<row r="{r}">' + "".join(_cell_xml(f"{letters[c]}{r}", v) for c, v in enumerate(row) if v not in (None, ""))
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )  # fmt: skip
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
            '/><Override PartName="/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="workbook.xml"/></Relationships>'
        ),
        "workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            f'<sheet name={quoteattr(sheet)} sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/worksheet" Target="sheet1.xml"/></Relationships>'
        ),
        "sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>{body}'
        "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def with_stream_named(source: Path, target: Path, name: str) -> Path:
    """A copy of an .xls with its workbook stream renamed in the CFB directory entry (64 bytes of UTF-16 name, then
    the name's length in bytes with its terminating NUL)."""
    data = bytearray(source.read_bytes())
    with olefile.OleFileIO(str(source)) as ole:
        (old,) = [entry[0] for entry in ole.listdir() if entry[0].lower() in ("workbook", "book")]
    at = data.find((old + "\0").encode("utf-16-le"))
    encoded = (name + "\0").encode("utf-16-le")
    data[at : at + 64] = encoded.ljust(64, b"\0")
    data[at + 64 : at + 66] = struct.pack("<H", len(encoded))
    target.write_bytes(bytes(data))
    return target


# ----------------------------------------------------------------------------- OpenDocument


def _ods_cell(value) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, datetime.date):
        return f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}"/>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<table:table-cell office:value-type="float" office:value="{value}"/>'
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path, rows: list[list], sheet: str = "Sheet1") -> Path:
    """Dates as date cells, numbers as float cells, everything else as text."""
    table = "".join("<table:table-row>" + "".join(map(_ods_cell, row)) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f"<office:spreadsheet><table:table table:name={quoteattr(sheet)}>{table}</table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS)  # first and stored, as ODF requires
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


# ----------------------------------------------------------------------------- Excel binary (BIFF12)


def _record(kind: int, data: bytes = b"") -> bytes:
    """A BIFF12 record: its type in 1-2 bytes and its size in 1-4 bytes, 7 bits each, high bit = more."""
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    size, length = len(data), b""
    while True:
        byte, size = size & 0x7F, size >> 7
        length += bytes([byte | (0x80 if size else 0)])
        if not size:
            return head + length + data


def _wide(text: str) -> bytes:
    encoded = text.encode("utf-16-le")
    return struct.pack("<I", len(encoded) // 2) + encoded


EXCEL_EPOCH = datetime.date(1899, 12, 30)
DATE_STYLE = 1  # the second cell format of styles.bin: built-in number format 14 (a date)


def _xf(number_format: int) -> bytes:
    """A BrtXF: no parent style, the number format, default font, fill and border."""
    return struct.pack("<HHHHHBBHH", 0xFFFF, number_format, 0, 0, 0, 0, 0, 0, 0)


def _xlsb_styles() -> bytes:
    """Two cell formats (BrtXF): general, and the built-in date format 14, as Excel writes them."""
    return (
        _record(0x296)  # BrtBeginStyleSheet
        + _record(0x267, struct.pack("<I", 0))  # BrtBeginFmts: no custom number format
        + _record(0x268)  # BrtEndFmts
        + _record(0x269, struct.pack("<I", 2))  # BrtBeginCellXFs
        + _record(0x2F, _xf(0))
        + _record(0x2F, _xf(14))
        + _record(0x26A)  # BrtEndCellXFs
        + _record(0x297)  # BrtEndStyleSheet
    )


def write_xlsb(path: Path, rows: list[list], sheet: str = "Sheet1") -> Path:
    """Text in the shared strings (BrtCellIsst), numbers as BrtCellReal, dates as BrtCellReal holding the Excel
    serial day with the date cell format of styles.bin."""
    strings: dict[str, int] = {}
    cells = []
    for r, row in enumerate(rows):
        cells.append(_record(0x00, struct.pack("<IIHBBI", r, 0, 300, 0, 0, 0)))  # BrtRowHdr
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                serial = float((value - EXCEL_EPOCH).days)
                cells.append(_record(0x05, struct.pack("<IId", c, DATE_STYLE, serial)))  # BrtCellReal, a date
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(_record(0x05, struct.pack("<IId", c, 0, float(value))))  # BrtCellReal
            else:
                text = str(value)
                index = strings.setdefault(text, len(strings))
                cells.append(_record(0x07, struct.pack("<III", c, 0, index)))  # BrtCellIsst
    width = max(map(len, rows))
    sheet_bin = (
        _record(0x81)  # BrtBeginSheet
        + _record(0x94, struct.pack("<IIII", 0, len(rows) - 1, 0, width - 1))  # BrtWsDim
        + _record(0x91)  # BrtBeginSheetData
        + b"".join(cells)
        + _record(0x92)  # BrtEndSheetData
        + _record(0x82)  # BrtEndSheet
    )
    sst = (
        _record(0x9F, struct.pack("<II", len(strings), len(strings)))  # BrtBeginSst
        + b"".join(_record(0x13, b"\0" + _wide(text)) for text in strings)  # BrtSSTItem
        + _record(0xA0)  # BrtEndSst
    )
    workbook = (
        _record(0x83)  # BrtBeginBook
        + _record(0x8F)  # BrtBeginBundleShs
        + _record(0x9C, struct.pack("<II", 0, 1) + _wide("rId1") + _wide(sheet))  # BrtBundleSh (visible)
        + _record(0x90)  # BrtEndBundleShs
        + _record(0x84)  # BrtEndBook
    )
    binary = "application/vnd.ms-excel"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Default Extension="bin" ContentType="{binary}.sheet.binary.macroEnabled.main"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.bin" ContentType="{binary}.worksheet"/>'
            f'<Override PartName="/xl/sharedStrings.bin" ContentType="{binary}.sharedStrings"/>'
            f'<Override PartName="/xl/styles.bin" ContentType="{binary}.styles"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.bin"/></Relationships>'
        ),
        "xl/_rels/workbook.bin.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.bin"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.bin"/>'
            f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.bin"/></Relationships>'
        ),
        "xl/workbook.bin": workbook,
        "xl/sharedStrings.bin": sst,
        "xl/styles.bin": _xlsb_styles(),
        "xl/worksheets/sheet1.bin": sheet_bin,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path
