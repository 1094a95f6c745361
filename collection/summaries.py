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

    townships: Counter = field(default_factory=Counter)  # (township or None, valid) -> rows: a department's roster

    def add(self, chunk: VerifiedChunk) -> None:
        if "_township" in chunk.frame:
            townships = [t if isinstance(t, str) else None for t in chunk.frame["_township"].tolist()]
            self.townships.update(zip(townships, chunk.frame["_valid"].astype(bool).tolist(), strict=True))
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
    routed = {"townships": _dry_run_townships(totals)} if totals.townships else {}
    return {
        "batch": batch_id,
        "subcategory": recognition.spec.code,
        "region": region_code,
        "status": None,
        **{k: fields[k] for k in ("rows", "valid", "invalid", "duplicates_in_file", "corrections")},
        **{k: merge.get(k, 0) for k in ("created", "updated", "unchanged", "conflicts")},
        "sheet": recognition.sheet_name,
        "header_row": recognition.header_row,
        **routed,
        "issues": [i.as_dict() for i in ordered],
    }


UNRESOLVED = "unresolved"  # the township entry of a roster's rows that could not be routed (region_unresolved)


def _township_entry(code, names: dict, rows: int, valid: int) -> dict:
    return {"region": code or UNRESOLVED, "name": names.get(code, "无法确定所属乡镇（街道）"), "rows": rows,
            "valid": valid, "invalid": rows - valid}  # fmt: skip


def _dry_run_townships(totals: Totals) -> list[dict]:
    from regions.models import Region

    codes = sorted({code for code, _valid in totals.townships if code})
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    entries = []
    for code in [*codes, None]:
        rows = totals.townships[(code, True)] + totals.townships[(code, False)]
        if rows:
            entries.append(_township_entry(code, names, rows, totals.townships[(code, True)]))
    return entries


def township_summary(batch: Batch) -> list[dict]:
    """Per township, what became of a department roster's rows: rows, valid, invalid, and from the merge created,
    updated, unchanged and conflicts (the rows that could not be routed under "unresolved")."""
    from django.db.models.functions import Substr

    from regions.models import Region

    from .choices import MergeState
    from .handoff import base_database

    staged = (
        batch.staged_rows.annotate(township=Substr("place", 1, 9))
        .values("township")
        .annotate(
            rows=Count("id"),
            valid=Count("id", filter=Q(is_valid=True)),
            merged=Count("id", filter=Q(merge_state=MergeState.MERGED)),
            conflicts=Count("id", filter=Q(merge_state=MergeState.CONFLICT)),
        )
        .order_by("township")
    )
    written = base_database().merge_counts_by_township(batch) if batch.status == "merged" else {}
    names = dict(
        Region.objects.filter(code__in=[s["township"] for s in staged if s["township"]]).values_list("code", "name")
    )
    entries = []
    for s in sorted(staged, key=lambda s: (s["township"] is None, s["township"] or "")):
        entry = _township_entry(s["township"], names, s["rows"], s["valid"])
        counts = written.get(s["township"], {"created": 0, "updated": 0})
        unchanged = s["merged"] - counts["created"] - counts["updated"]
        entries.append({**entry, **counts, "unchanged": max(unchanged, 0), "conflicts": s["conflicts"]})
    return entries


def summary(batch: Batch) -> dict:
    """The batch as the CLI's JSON output: counts, status and every issue in row order."""
    issues = batch.issues.order_by(*ISSUE_ORDER).values("row", "column", "item", "rule", "severity", "message", "value")
    routed = {"townships": township_summary(batch)} if len(batch.region_id) < 9 else {}
    return {
        "batch": batch.pk,
        "subcategory": batch.subcategory_code,
        "region": batch.region_id,
        **{k: getattr(batch, k) for k in SUMMARY_KEYS[3:]},
        "sheet": batch.sheet_name,
        "header_row": batch.header_row,
        **routed,
        "issues": [{**i, "column": i["column"] or None, "item": i["item"] or None} for i in issues],
    }


def issue_counts(batch: Batch) -> dict:
    """Errors and warnings of a batch by rule and by column, for the batch page and the API."""
    # The issues of rows excluded by the township (排除此行) no longer count: they will never be merged.
    issues = batch.issues.filter(Q(staged_row__isnull=True) | Q(staged_row__excluded_at__isnull=True))
    rows = issues.values("rule", "column", "severity").annotate(n=Count("id"))
    by_rule: Counter = Counter()
    by_column: Counter = Counter()
    for row in rows:
        by_rule[row["rule"]] += row["n"]
        by_column[row["column"] or ""] += row["n"]
    errors = issues.aggregate(e=Count("id", filter=Q(severity=ERROR)), w=Count("id", filter=Q(severity=WARNING)))
    return {"errors": errors["e"], "warnings": errors["w"], "by_rule": dict(by_rule), "by_column": dict(by_column)}
