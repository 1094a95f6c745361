"""What a batch (or a dry run's sheet) came to: running totals, the CLI's JSON summary, issue counts by rule."""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, F, Q

from .models import Batch
from .pipeline.types import DUPLICATE_IN_FILE, ERROR, WARNING, Issue, VerifiedChunk

CORRECTION_SAMPLE_SIZE = 200  # corrections kept per batch for display; the counts cover all of them
SUMMARY_KEYS = (
    "batch", "subcategory", "region", "status", "rows", "valid", "invalid", "duplicates_in_file", "corrections",
    "created", "updated", "unchanged", "conflicts",
)  # fmt: skip


@dataclass
class Totals:
    """Running totals of one sheet while its chunks pass."""

    rows: int = 0
    valid: int = 0
    duplicates: int = 0
    correction_counts: Counter = field(default_factory=Counter)
    correction_sample: list = field(default_factory=list)

    def add(self, chunk: VerifiedChunk) -> None:
        self.rows += len(chunk.frame)
        self.valid += int(chunk.frame["_valid"].sum()) if len(chunk.frame) else 0
        self.duplicates += len(  # rows, not issues: a row repeating an earlier one counts once
            {i.row for i in chunk.issues if i.rule == DUPLICATE_IN_FILE and i.severity == ERROR and i.row}
        )
        self.correction_counts.update(chunk.correction_counts)
        room = CORRECTION_SAMPLE_SIZE - len(self.correction_sample)
        self.correction_sample.extend(vars(c) for c in chunk.corrections[: max(room, 0)])

    def as_fields(self) -> dict:
        """Batch field values of these totals."""
        # "item/kind" keys: the summary is stored as JSON, whose object keys are strings.
        counts = {f"{item}/{kind}": n for (item, kind), n in sorted(self.correction_counts.items())}
        return {
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.rows - self.valid,
            "duplicates_in_file": self.duplicates,
            "corrections": sum(self.correction_counts.values()),
            "correction_summary": {"counts": counts, "sample": self.correction_sample},
        }


MERGE_COUNTS = ("created", "updated", "unchanged", "conflicts")
# Issues in the order a person reads the sheet: file-level issues first (on every database), then by row and column.
ISSUE_ORDER = (F("row").asc(nulls_first=True), F("column_index").asc(nulls_first=True), "id")


def sheet_summary(batch_id, recognition, region_code, totals: Totals, merge: dict, issues: list[Issue]) -> dict:
    """One sheet of a dry run in the shape of `summary` (the CLI prints either), issues in reading order."""
    fields = totals.as_fields()
    ordered = sorted(issues, key=lambda i: (i.row or 0, i.column_index if i.column_index is not None else -1))
    return {
        "batch": batch_id,
        "subcategory": recognition.spec.code,
        "region": region_code,
        "status": None,
        **{k: fields[k] for k in ("rows", "valid", "invalid", "duplicates_in_file", "corrections")},
        **{k: merge.get(k, 0) for k in ("created", "updated", "unchanged", "conflicts")},
        "sheet": recognition.sheet_name,
        "header_row": recognition.header_row,
        "issues": [i.as_dict() for i in ordered],
    }


def summary(batch: Batch) -> dict:
    """The batch as the CLI's JSON output: counts, status and every issue in row order."""
    issues = batch.issues.order_by(*ISSUE_ORDER).values("row", "column", "item", "rule", "severity", "message", "value")
    return {
        "batch": batch.pk,
        "subcategory": batch.subcategory_code,
        "region": batch.region_id,
        **{k: getattr(batch, k) for k in SUMMARY_KEYS[3:]},
        "sheet": batch.sheet_name,
        "header_row": batch.header_row,
        "issues": [{**i, "column": i["column"] or None, "item": i["item"] or None} for i in issues],
    }


def issue_counts(batch: Batch) -> dict:
    """Errors and warnings of a batch by rule and by column, for the batch page and the API."""
    rows = batch.issues.values("rule", "column", "severity").annotate(n=Count("id"))
    by_rule: Counter = Counter()
    by_column: Counter = Counter()
    for row in rows:
        by_rule[row["rule"]] += row["n"]
        by_column[row["column"] or ""] += row["n"]
    errors = batch.issues.aggregate(e=Count("id", filter=Q(severity=ERROR)), w=Count("id", filter=Q(severity=WARNING)))
    return {"errors": errors["e"], "warnings": errors["w"], "by_rule": dict(by_rule), "by_column": dict(by_column)}
