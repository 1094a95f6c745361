"""The file side of the intake pipeline, end to end: guard -> open -> recognise -> read chunks -> verify.

This is the API the collection app (web, API, CLI) calls; it sees no ORM object. A workbook is opened once: the
sheet parsed while recognising is kept until its rows are read, so a big sheet is parsed only once.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from catalog.spec import TableSpec

from . import opening, read
from . import parallel as overlap
from .guard import check_upload
from .recognise import (
    NO_HEADER_MESSAGE,
    HeaderMatch,
    best_match,
    is_instruction_sheet,
    match_header,
    to_recognition,
    wrong_table_message,
)
from .types import Recognition, RejectedFile, VerifiedChunk

# The hidden metadata of our templates, as catalog/templates_xlsx.py writes it.
META_SHEET, META_MARKER, META_TABLE_ROW = "_meta", "grassroots_template", 8
CSV_SHEET = "CSV"


@dataclass
class Workbook:
    """An opened, guarded upload."""

    path: Path
    original_name: str
    format: str  # "xlsx" | "xlsb" | "ods" | "xls" | "csv" (by content: guard.GuardedFile)
    sheet_names: list[str]
    template_meta: dict | None  # hidden metadata of our own templates, if present
    encoding: str | None = None  # CSV only
    _book: object = field(default=None, repr=False, compare=False)
    _sheets: dict = field(default_factory=dict, repr=False, compare=False)
    _heads: dict = field(default_factory=dict, repr=False, compare=False)

    def sheet(self, name: str):
        """The parsed sheet (cached until its rows are read)."""
        if name not in self._sheets:
            self._sheets.clear()  # keep one parsed sheet at a time: a big sheet costs hundreds of MB
            self._sheets[name] = opening.load_sheet(self._book, name)
        return self._sheets[name]

    def head(self, name: str) -> list[list]:
        """The first 20 rows as cell text (kept: recognising several tables reads them several times)."""
        if name not in self._heads:
            if self.format == "csv":
                self._heads[name] = read.csv_head(self.path, self.encoding)
            else:
                self._heads[name] = read.sheet_head(self.sheet(name))
        return self._heads[name]

    def row_count(self, name: str) -> int | None:
        """Rows of the sheet as far as known without reading it again (for progress bars), else None."""
        sheet = self._sheets.get(name)
        if sheet is None:
            return None
        return (sheet.start or (0, 0))[0] + sheet.height

    def release(self, name: str) -> None:
        """Free a parsed sheet once its rows are read."""
        self._sheets.pop(name, None)


def open_upload(path: Path, original_name: str, ahead: opening.OpenAhead | None = None) -> Workbook:
    """Guard the upload (type, size, zip bomb, encryption, XML entities) and open it; raises RejectedFile.

    With `ahead` (an OpenAhead of the same file), the guard's verdict, the book and the sheet it already parsed
    are taken from it, and so is its rejection.
    """
    path = Path(path)
    opened = ahead.result() if ahead is not None and ahead.is_for(path, original_name) else None
    guarded = opened.guarded if opened is not None else check_upload(path, original_name)
    if guarded.format == "csv":
        encoding = read.detect_csv_encoding(path)
        return Workbook(path, original_name, "csv", [CSV_SHEET], None, encoding=encoding)
    book = opened.book if opened is not None else opening.open_workbook(path, guarded)
    names = opening.visible_sheet_names(book)
    meta = _template_meta(book)
    sheets = dict(opened.sheets) if opened is not None else {}
    return Workbook(path, original_name, guarded.format, names, meta, _book=book, _sheets=sheets)


def _template_meta(book) -> dict | None:
    """The veryHidden `_meta` sheet of our own templates (layout: catalog/templates_xlsx.py, write_meta): key/value
    pairs in rows 1-7, then from row 9 one row per data sheet (sheet name, subcategory code). Read with calamine,
    never by parsing XML ourselves; None for a workbook that is not one of our templates."""
    if META_SHEET not in book.sheet_names:
        return None
    rows = read.sheet_head(opening.load_sheet(book, META_SHEET), rows=META_TABLE_ROW + 500)
    pairs = {str(row[0]): str(row[1] or "") for row in rows[: META_TABLE_ROW - 1] if len(row) >= 2 and row[0]}
    if META_MARKER not in pairs:
        return None
    sheets = {str(row[0]): str(row[1]) for row in rows[META_TABLE_ROW:] if len(row) >= 2 and row[0] and row[1]}
    return {**pairs, "sheets": sheets}


def _meta_subcategory(workbook: Workbook, sheet_name: str) -> str | None:
    return ((workbook.template_meta or {}).get("sheets") or {}).get(sheet_name)


def recognise_tables(
    workbook: Workbook, specs: Mapping[str, TableSpec], subcategory: str | None = None
) -> list[Recognition]:
    """One Recognition per sheet holding a recognisable table; instruction sheets are skipped.

    With `subcategory`, only that table is looked for. Raises RejectedFile when nothing is recognised, when the
    chosen table's header is not found, or when a required column is missing.
    """
    if subcategory is not None and subcategory not in specs:
        raise RejectedFile(f"未知的数据表编码“{subcategory}”，请从数据目录中选择。", code="unknown_subcategory")
    candidates = {subcategory: specs[subcategory]} if subcategory else specs
    matches: list[tuple[str, HeaderMatch]] = []
    for name in workbook.sheet_names:
        if len(workbook.sheet_names) > 1 and is_instruction_sheet(name):
            continue
        match = _match_sheet(workbook, name, candidates)
        if match is not None:
            matches.append((name, match))
    if subcategory and len(matches) > 1:  # several sheets fit: keep those that fit no other table better
        preferred = [(name, m) for name, m in matches if _best_code(workbook, name, specs) == subcategory]
        matches = preferred or matches
    if not matches:
        raise RejectedFile(wrong_table_message(specs[subcategory]) if subcategory else NO_HEADER_MESSAGE,
                           code="no_header")  # fmt: skip
    return [to_recognition(match, name) for name, match in matches]


def _best_code(workbook: Workbook, name: str, specs: Mapping[str, TableSpec]) -> str | None:
    match = _match_sheet(workbook, name, specs)
    return match.spec.code if match is not None else None


def _match_sheet(workbook: Workbook, name: str, specs: Mapping[str, TableSpec]) -> HeaderMatch | None:
    head = workbook.head(name)
    code = _meta_subcategory(workbook, name)
    if code in specs:
        match = match_header(head, specs[code])
        if match is not None:
            return match
    return best_match(head, specs, "" if workbook.format == "csv" else name)


def read_chunks(
    workbook: Workbook, recognition: Recognition, chunk_size: int = 50_000, build=None, first_chunk: int | None = None
) -> Iterator[pd.DataFrame]:
    """The raw frames of a recognised table: mapped item columns as str/None, plus '_row' (see read.py).

    For a workbook, `build` says what each chunk of rows becomes instead of a raw frame, and `first_chunk` makes
    the first chunk smaller (read.sheet_chunks)."""
    columns = {c.index: c.item for c in recognition.columns if c.item}
    if workbook.format == "csv":
        yield from read.csv_chunks(workbook.path, workbook.encoding, columns, recognition.data_start_row, chunk_size)
        return
    sheet = workbook.sheet(recognition.sheet_name)
    try:
        yield from read.sheet_chunks(sheet, columns, recognition.data_start_row, chunk_size, build, first_chunk)
    finally:
        workbook.release(recognition.sheet_name)


# Below these sizes a second reading process costs more than it saves (fork, pickling, one chunk only).
PARALLEL_MIN_ROWS = 20_000
PARALLEL_MIN_CSV_BYTES = 2 * 1024 * 1024
PARALLEL_MIN_CHUNK = 10_000


def process_sheet(
    workbook: Workbook,
    recognition: Recognition,
    *,
    today: date | None = None,
    chunk_size: int = 50_000,
    parallel: bool = True,
) -> Iterator[VerifiedChunk]:
    """Read a recognised table chunk by chunk and verify each chunk; duplicates are tracked across chunks.

    With `parallel` (and a big table, a second CPU and fork), the rows are read in a child process while this one
    verifies (see parallel.py); the rows, their order and every result are the same either way (only the chunk
    boundaries differ: the forked reader sends a small first chunk).
    """
    from . import verify

    headers = {c.item: c.header for c in recognition.columns if c.item}
    indexes = {c.item: c.index for c in recognition.columns if c.item}
    keys = verify.InFileKeys()
    today = today or date.today()
    for raw in raw_chunks(workbook, recognition, chunk_size, parallel=parallel):
        chunk = verify.verify_chunk(raw, recognition.spec, headers, keys=keys, today=today, column_indexes=indexes)
        yield _with_route_columns(chunk, raw)


ROUTE_PREFIX = "_route_"  # columns read only to route a department's rows to townships (collection/routing.py)


def _with_route_columns(chunk: VerifiedChunk, raw: pd.DataFrame) -> VerifiedChunk:
    """The verified chunk with the raw routing columns of the sheet (verification knows only catalog items)."""
    from .verify import _cells, _factorised

    for key in (c for c in raw.columns if str(c).startswith(ROUTE_PREFIX)):
        chunk.frame[key] = _cells(raw[key], _factorised(raw[key]))
    return chunk


def raw_chunks(
    workbook: Workbook, recognition: Recognition, chunk_size: int, *, parallel: bool
) -> Iterator[pd.DataFrame]:
    """read_chunks, in a forked reader process when that pays off."""
    if not (parallel and _worth_a_reader(workbook, recognition) and overlap.available()):
        yield from read_chunks(workbook, recognition, chunk_size)
        return
    # Smaller chunks overlap better: the last chunk is verified alone, after the child has finished.
    rows = _expected_rows(workbook, recognition)
    if rows is not None:
        chunk_size = min(chunk_size, max(PARALLEL_MIN_CHUNK, -(-rows // 8)))
    # The child inherits the parsed sheet; once it runs, this process lets go of its own copy. A workbook's rows
    # are packed for the pipe straight from calamine's cells (no raw frame is built in the child), the first chunk
    # small so that verifying starts soon.
    if workbook.format == "csv":
        produce, pack = (lambda: read_chunks(workbook, recognition, chunk_size)), overlap.pack_frame
    else:
        first = max(chunk_size // 8, 1)
        produce, pack = (lambda: read_chunks(workbook, recognition, chunk_size, overlap.pack_rows, first)), None
    yield from overlap.iterate_in_child(
        produce,
        on_started=lambda: workbook.release(recognition.sheet_name),
        pack=pack,
        unpack=overlap.unpack_frame,
    )


def _expected_rows(workbook: Workbook, recognition: Recognition) -> int | None:
    rows = workbook.row_count(recognition.sheet_name)
    return None if rows is None else max(rows - recognition.data_start_row + 1, 0)


def _worth_a_reader(workbook: Workbook, recognition: Recognition) -> bool:
    if workbook.format == "csv":
        return workbook.path.stat().st_size >= PARALLEL_MIN_CSV_BYTES
    rows = _expected_rows(workbook, recognition)
    return rows is not None and rows >= PARALLEL_MIN_ROWS
