"""Opening a workbook with calamine, and opening an upload ahead of time in a background thread.

Nothing here imports pandas: a process that has just started (`manage.py import_workbook`) can begin guarding,
opening and parsing the file while it is still importing the rest of the pipeline. python-calamine and zlib release
the GIL while they work, so on two cores the thread runs beside the imports at full speed (measured in
docs/performance.md); what the thread finds, a rejection included, is handed over exactly as if the caller had
opened the file itself (run.open_upload).
"""

import tempfile
import threading
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineSheet, CalamineWorkbook, SheetVisibleEnum

from . import packages
from .guard import GuardedFile, check_upload, identify
from .recognise import is_instruction_sheet
from .types import RejectedFile

UNREADABLE = "无法读取工作簿：文件已损坏或不是有效的 Excel 文件，请用 Excel 另存为 .xlsx 后重新上传。"


@contextmanager
def readable_copy(path: Path, guarded: GuardedFile | None = None) -> Iterator[Path]:
    """A path to the file that a reader opens by what the file is: named with the extension of its real format (a
    symbolic link, so an .xlsx named .xls opens as .xlsx), or a temporary copy in the usual layout for a package
    the readers would not find their way in (packages.write_usual_layout). Removed on exit: a reader that opened
    it keeps its open file."""
    guarded = guarded or identify(Path(path))
    with tempfile.TemporaryDirectory(prefix="grassroots-open-") as folder:
        named = Path(folder) / f"workbook.{guarded.format}"
        if guarded.usual_layout:
            named.symlink_to(Path(path).resolve())
        else:
            with zipfile.ZipFile(path) as archive:
                package = packages.inspect_package(archive, packages.part_names(archive.infolist()))
            packages.write_usual_layout(Path(path), named, package)
        yield named


def open_workbook(path: Path, guarded: GuardedFile | None = None) -> CalamineWorkbook:
    """The workbook opened by what it is (`guarded`: the guard's verdict; else the format is read from the content)."""
    with readable_copy(path, guarded) as named:
        try:
            return CalamineWorkbook.from_path(str(named))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # calamine's own errors, and a Rust panic (not an Exception) on a crafted file
            raise RejectedFile(UNREADABLE, code="not_excel") from exc


def visible_sheet_names(book: CalamineWorkbook) -> list[str]:
    """Sheets a person can see; hidden sheets hold dropdown lists or our template metadata, never a table."""
    return [m.name for m in book.sheets_metadata if m.visible == SheetVisibleEnum.Visible]


def load_sheet(book: CalamineWorkbook, name: str) -> CalamineSheet:
    try:
        return book.get_sheet_by_name(name)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # as in open_workbook: a panic too
        raise RejectedFile(f"无法读取工作表“{name}”：文件已损坏，请用 Excel 另存为 .xlsx 后重新上传。") from exc


def likely_table_sheet(names: list[str]) -> str | None:
    """The sheet recognition will most probably read first: the first visible one that is not an instruction."""
    if len(names) > 1:
        names = [name for name in names if not is_instruction_sheet(name)]
    return names[0] if names else None


@dataclass
class Opened:
    """What opening ahead found: the guard's verdict and, for a workbook, the book and the parsed likely sheet."""

    guarded: GuardedFile
    book: CalamineWorkbook | None = None
    sheets: dict[str, CalamineSheet] = field(default_factory=dict)


class OpenAhead:
    """Guard, open and parse the likely table sheet of an upload in a daemon thread, starting now.

    `result()` waits for the thread and returns `Opened`, or raises what the thread raised (a RejectedFile with its
    Chinese message, like the same steps run in the caller's thread). Only the file given here is ever opened.
    """

    def __init__(self, path: Path, original_name: str):
        self.path, self.original_name = Path(path), original_name
        self._opened: Opened | None = None
        self._error: BaseException | None = None
        self._guarded = threading.Event()
        self._thread = threading.Thread(target=self._run, name="grassroots-open-ahead", daemon=True)
        self._thread.start()

    def is_for(self, path: Path, original_name: str) -> bool:
        return Path(path) == self.path and original_name == self.original_name

    def wait_guarded(self, timeout: float | None = None) -> None:
        """Wait until the guard has finished (or failed). The guard holds the GIL between its inflating steps, so a
        caller with Python work of its own lets it finish first; calamine's open and parse then run without it."""
        self._guarded.wait(timeout)

    def result(self) -> Opened:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._opened

    def _run(self) -> None:
        try:
            try:
                guarded = check_upload(self.path, self.original_name)
            finally:
                self._guarded.set()
            opened = Opened(guarded)
            if guarded.format != "csv":
                opened.book = open_workbook(self.path, guarded)
                name = likely_table_sheet(visible_sheet_names(opened.book))
                if name is not None:
                    opened.sheets[name] = load_sheet(opened.book, name)
            self._opened = opened
        except BaseException as exc:  # handed to the caller's thread by result()
            self._error = exc


# ---------------------------------------------------------------------------------------------------------------
# Before Django starts: `manage.py import_workbook ...` calls start_early(arguments) first thing (before Django's
# start-up and the pipeline's imports, ≈ 0.5 s), so the guard and calamine's parse (≈ 0.9 s for 100,000 rows) run
# beside them. The command takes the result with take_early(), or opens the file itself when there is none.

# Options of `import_workbook` (its own and Django's) that take a value: their values are not the file's path.
# tests/collection/test_opening.py checks this against the command's parser.
VALUE_OPTIONS = frozenset({"--region", "--subcategory", "--user", "--report", "--verbosity", "-v", "--pythonpath"})
_early: list[OpenAhead] = []


def path_argument(arguments: Sequence[str]) -> str | None:
    """The positional argument (the file) among the command's arguments; None when there is not exactly one or
    when an option is written in a way this does not know (the command then opens the file itself)."""
    found, expecting_value = [], False
    for argument in arguments:
        if expecting_value:
            expecting_value = False
        elif argument.startswith("--settings"):
            return None  # the guard reads settings: not before Django has switched to the other module
        elif argument.startswith("-"):
            expecting_value = argument in VALUE_OPTIONS  # "--region=X" carries its value
        else:
            found.append(argument)
    return found[0] if len(found) == 1 else None


def start_early(arguments: Sequence[str]) -> None:
    """Start opening the file named by `import_workbook`'s arguments, the guard first (it needs the GIL, which
    Django's start-up would keep from it); anything unexpected is left to the command."""
    path = path_argument(arguments)
    if path is None or not Path(path).is_file():
        return
    ahead = OpenAhead(Path(path), Path(path).name)
    ahead.wait_guarded()
    _early.append(ahead)


def take_early(path: Path, original_name: str) -> OpenAhead | None:
    """The opening start_early began for this file, if any (taken once)."""
    ahead = _early.pop() if _early else None
    return ahead if ahead is not None and ahead.is_for(path, original_name) else None
