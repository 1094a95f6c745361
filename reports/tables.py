"""A report as a table to show or download, whether filled just now (FilledReport) or confirmed earlier
(Submission): the headings are kept with a submission, so it reads as it was even after the form or the catalog
changed."""

from dataclasses import dataclass
from datetime import date

from .filling import FilledReport, Row, child_level_name

LEFTOVER, TOTAL = "none", "total"  # the keys of the leftover row and of 合计 in URLs and notes


@dataclass(frozen=True)
class Heading:
    code: str
    label: str
    unit: str
    decimals: int
    measure: str


@dataclass
class ReportTable:
    """Everything a page or the official xlsx shows of one report."""

    form: str
    title: str
    number: str
    department: str
    description: str
    basis: str
    region: str
    region_name: str
    as_of: date
    key_header: str
    row_header: str
    columns: list[Heading]
    rows: list[Row]
    total: Row
    by_regions: bool = True

    @property
    def units(self) -> set[str]:
        return {c.unit for c in self.columns}

    def layout(self) -> dict:
        """The headings as stored with a submission."""
        return {
            "form": self.form, "title": self.title, "number": self.number, "department": self.department,
            "description": self.description, "basis": self.basis, "region_name": self.region_name,
            "key_header": self.key_header, "row_header": self.row_header, "by_regions": self.by_regions,
            "columns": [c.__dict__ for c in self.columns],
        }  # fmt: skip


def row_key(row: Row) -> str:
    """The row's key in URLs and notes: the region or code, `none` for the leftover row, `total` for 合计."""
    return TOTAL if row.key == "total" else LEFTOVER if row.key is None else row.key


def cell_key(row: Row, column: str) -> str:
    return f"{row_key(row)}|{column}"


def table_of(report: FilledReport) -> ReportTable:
    definition, region = report.definition, report.region
    by_regions = definition.by_regions
    return ReportTable(
        form=definition.code, title=definition.title, number=definition.number, department=definition.department,
        description=definition.description, basis=definition.basis, region=region.code,
        region_name=region.full_name, as_of=report.as_of, key_header="区划代码" if by_regions else "代码",
        row_header=(child_level_name(region) or "名称") if by_regions else definition.rows.table.name,
        columns=[Heading(c.code, c.label, c.unit, c.decimals, c.measure) for c in definition.columns],
        rows=report.rows, total=report.total, by_regions=by_regions,
    )  # fmt: skip


def table_of_submission(submission) -> ReportTable:
    layout = submission.layout
    return ReportTable(
        form=layout["form"], title=layout["title"], number=layout["number"], department=layout["department"],
        description=layout["description"], basis=layout["basis"], region=submission.region_id,
        region_name=layout["region_name"], as_of=submission.as_of, key_header=layout["key_header"],
        row_header=layout["row_header"], columns=[Heading(**c) for c in layout["columns"]],
        rows=[Row(**r) for r in submission.rows], total=Row(**submission.total), by_regions=layout["by_regions"],
    )  # fmt: skip
