"""What flows between the pipeline stages and out of it: plain dataclasses, independent of the ORM."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catalog.spec import TableSpec

if TYPE_CHECKING:  # the guard and recognition use these types in a process that has not imported pandas yet
    import pandas as pd

# Rule codes of verification issues (stable: the API, reports and acceptance checks use them).
REQUIRED, TYPE, LENGTH, PATTERN, CODE, CHECKSUM = "required", "type", "length", "pattern", "code", "checksum"
PRECISION_LOST, RANGE, CROSS_FIELD = "precision_lost", "range", "cross_field"
DUPLICATE_IN_FILE, CONFLICT, UNKNOWN_COLUMN, MISSING_COLUMN = (
    "duplicate_in_file",
    "conflict",
    "unknown_column",
    "missing_column",
)
# Placement (collection/placing.py): a grid of another township (warning), a grid outside the uploading village.
GRID_ELSEWHERE, GRID_OUTSIDE = "grid_elsewhere", "grid_outside"
ADDRESS_ELSEWHERE = "address_elsewhere"  # where the entity is (a location address) names another township (warning)
# A house code whose leading division code, or whose house in the base database, is another township's (warning).
HOUSE_ELSEWHERE = "house_elsewhere"
# Routing a department's city- or county-wide roster (collection/routing.py): a row no township can be found for.
REGION_UNRESOLVED = "region_unresolved"
RULES = (REQUIRED, TYPE, LENGTH, PATTERN, CODE, CHECKSUM, PRECISION_LOST, RANGE, CROSS_FIELD, DUPLICATE_IN_FILE,
         CONFLICT, UNKNOWN_COLUMN, MISSING_COLUMN, GRID_ELSEWHERE, GRID_OUTSIDE, REGION_UNRESOLVED,
         ADDRESS_ELSEWHERE, HOUSE_ELSEWHERE)  # fmt: skip
ERROR, WARNING = "error", "warning"


class RejectedFile(Exception):
    """The file as a whole cannot be processed; `message` is Chinese and says what to do. Nothing is stored."""

    def __init__(self, message: str, *, code: str = "rejected"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Issue:
    """A verification finding at the cell a person sees in Excel (row: Excel row number; CSV: line number)."""

    row: int | None
    column: str | None  # the header text as written in the file
    item: str | None  # element key
    rule: str
    severity: str  # ERROR or WARNING
    message: str  # Chinese: what is wrong and how to fix it
    value: str = ""  # the cell as in the file
    column_index: int | None = None  # 0-based position in the sheet, for annotating the workbook

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "item": self.item,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }


@dataclass(frozen=True)
class Correction:
    """An automatic, safe correction made while normalising (e.g. full-width digits, 1990年1月1日 -> 1990-01-01)."""

    row: int
    column: str
    item: str
    kind: str  # e.g. "fullwidth", "whitespace", "date_format", "code_label", "id_lower_x", "phone_format"
    old: str
    new: str


@dataclass(frozen=True)
class ColumnMap:
    index: int  # 0-based column position in the sheet
    header: str  # header text as in the file (for a two-row header: the lower, specific cell)
    item: str | None  # element key, None for an unknown column


@dataclass
class Recognition:
    """The table found in a sheet: which subcategory, where the header is, which column holds which item."""

    spec: TableSpec
    sheet_name: str
    header_row: int  # Excel row number of the (last) header row
    data_start_row: int  # Excel row number of the first data row
    columns: list[ColumnMap]
    score: float = 0.0
    issues: list[Issue] = field(default_factory=list)  # unknown_column warnings (missing_column rejects)


@dataclass
class VerifiedChunk:
    """One chunk of verified rows.

    frame: one row per data row, columns = item keys holding normalised values (str, or None when empty;
    dates as ISO 'YYYY-MM-DD', booleans as True/False, codes as the code, numbers as str of the canonical
    number), plus '_row' (Excel row number), '_valid' (bool: no error issue on the row), '_key' (the dedup key
    string, None when a key item is empty or invalid) and '_raw' is NOT kept (raw cells stay in the file).
    """

    frame: pd.DataFrame
    issues: list[Issue]
    corrections: list[Correction]  # capped sample for display; counts are in correction_counts
    correction_counts: Counter  # (item, kind) -> n

    @property
    def rows(self) -> int:
        return len(self.frame)


@dataclass
class SheetSummary:
    """Totals of one processed sheet, filled as chunks pass."""

    subcategory: str
    sheet_name: str
    header_row: int
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates_in_file: int = 0
    corrections: int = 0
    issues_by_rule: Counter = field(default_factory=Counter)
