"""A minimal writer of OLE2/CFB containers (the .xls and encrypted-OOXML format), enough for guard tests.

Version 3, 512-byte sectors, one FAT sector, one directory sector (up to 3 streams), every stream padded to
4096 bytes so it lives in regular sectors (no mini stream).
"""

import struct

FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512


def _entry(name: str, kind: int, start: int = END, size: int = 0, right: int = NOSTREAM, child: int = NOSTREAM):
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\0" * 16
        + struct.pack("<IQQIQ", 0, 0, 0, start, size)
    )


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """A CFB file holding the given top-level streams."""
    assert len(streams) <= 3
    fat = [FATSECT, END]
    data, entries = b"", []
    names = list(streams)
    for position, name in enumerate(names):
        payload = streams[name].ljust(4096, b"\0")
        payload = payload.ljust(-(-len(payload) // SECTOR) * SECTOR, b"\0")
        first, count = len(fat), len(payload) // SECTOR
        fat += [first + i + 1 for i in range(count - 1)] + [END]
        right = position + 2 if position + 1 < len(names) else NOSTREAM
        entries.append(_entry(name, 2, first, len(streams[name].ljust(4096, b"\0")), right=right))
        data += payload
    assert len(fat) <= 128
    directory = _entry("Root Entry", 5, child=1 if names else NOSTREAM) + b"".join(entries)
    while len(directory) < SECTOR:
        directory += _entry("", 0)
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", FREE) * (128 - len(fat))
    return header + fat_sector + directory + data
