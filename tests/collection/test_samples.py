"""The realistic township workbooks of tests/data (a copy of ../shared/samples) through `import_workbook --json`.

Each entry of expected.json is checked as ../shared/checks/check_samples.py does: counts, every seeded error at its
Excel row (item and rule), every clean row free of errors, the expected warnings; plus what only an in-process test
can see: nothing stored on a dry run, staged rows for a real run, formula-like text stored verbatim, ignored rows.
The ordered "sequence" (real merges into the base database) runs as one test, step by step.
"""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

from collection.models import Batch, StagedRow
from tests.collection.batch_fixtures import DATA, EXPECTED, intake_counts, media, stored_files  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("catalog", "regions", "media")

COUNTS = ("rows", "valid", "invalid", "duplicates_in_file", "created", "updated", "unchanged", "conflicts")


def run_import(entry: dict) -> tuple[int, list[dict], str]:
    """(exit code, summaries, stderr) of import_workbook for one expected.json entry."""
    args = entry["args"]
    argv = [str(DATA / entry["file"]), "--region", args["region"], "--json"]
    if args.get("subcategory"):
        argv += ["--subcategory", args["subcategory"]]
    if args.get("dry_run", True):
        argv.append("--dry-run")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_workbook", *argv, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, [], err.getvalue()
    data = json.loads(out.getvalue())
    return 0, data if isinstance(data, list) else [data], err.getvalue()


def count_ok(expected, got) -> bool:
    return expected[0] <= got <= expected[1] if isinstance(expected, list) else got == expected


def problems_of(exp: dict, summary: dict) -> list[str]:
    """Every way `summary` differs from the expectation `exp` (empty when it holds)."""
    problems = [f"{k}: expected {exp[k]}, got {summary.get(k)}" for k in COUNTS
                if k in exp and not count_ok(exp[k], summary.get(k))]  # fmt: skip
    for key in ("subcategory", "header_row"):
        if exp.get(key) and summary.get(key) != exp[key]:
            problems.append(f"{key}: expected {exp[key]}, got {summary.get(key)}")
    errors_at: dict[int, list] = {}
    for issue in summary["issues"]:
        if issue["severity"] == "error":
            errors_at.setdefault(issue["row"], []).append((issue["item"], issue["rule"]))
    for seeded in exp.get("errors", []):
        items = set(seeded.get("items") or [seeded.get("item")])
        if not any(item in items and rule in seeded["rules"] for item, rule in errors_at.get(seeded["row"], [])):
            problems.append(f"row {seeded['row']}: missed {sorted(items)} {seeded['rules']}")
    problems += [
        f"clean row {row} has errors {errors_at[row]}" for row in exp.get("clean_rows", []) if row in errors_at
    ]
    problems += [f"ignored row {r['row']} ({r['why']}) has issues" for r in exp.get("ignored_rows", [])
                 if r["row"] in errors_at]  # fmt: skip
    for warn in exp.get("warnings", []):
        if not any(i["rule"] in warn["rules"] and (warn.get("row_optional") or i["row"] == warn.get("row"))
                   for i in summary["issues"]):  # fmt: skip
            problems.append(f"missing warning {warn['rules']} for {warn.get('header')}")
    return problems


def check_entry(entry: dict) -> list[dict]:
    exp = entry["expect"]
    code, summaries, err = run_import(entry)
    assert code == exp["exit"], err
    if exp.get("json_list"):
        assert len(summaries) == len(exp["sheets"])
        by_sub = {s["subcategory"]: s for s in summaries}
        problems = [p for sheet in exp["sheets"] for p in problems_of(sheet, by_sub[sheet["subcategory"]])]
    else:
        assert len(summaries) == 1
        problems = problems_of(exp, summaries[0])
    assert not problems, "\n".join(problems[:20])
    return summaries


def _entry_id(entry: dict) -> str:
    return f"{entry['file']}{' (dry run)' if entry['args'].get('dry_run', True) else ''}"


@pytest.mark.parametrize("entry", EXPECTED["files"], ids=_entry_id)
def test_each_sample_file_gives_the_expected_summary(entry):
    summaries = check_entry(entry)
    if entry["args"].get("dry_run", True):
        assert all(s["batch"] is None for s in summaries)
        assert intake_counts() == {"Batch": 0, "StagedRow": 0, "BatchIssue": 0}
        assert stored_files(settings.MEDIA_ROOT) == []
    else:
        assert Batch.objects.count() == len(summaries)
        assert StagedRow.objects.count() == sum(s["rows"] for s in summaries)
        assert len(stored_files(settings.MEDIA_ROOT)) == 1  # one stored file, whatever the number of sheets


@pytest.mark.parametrize("entry", [e for e in EXPECTED["files"] if e["expect"].get("verbatim")], ids=_entry_id)
def test_formula_like_text_is_stored_verbatim(entry):
    check_entry(entry)
    stored = {r.row: r.values for r in StagedRow.objects.all()}
    for cell in entry["expect"]["verbatim"]:
        assert stored[cell["row"]][cell["item"]] == cell["value"]
        assert stored[cell["row"]]["id_number"] == cell["id_number"]


def test_the_merge_sequence_creates_then_finds_unchanged_updated_and_conflicting_rows():
    for entry in sorted(EXPECTED["sequence"], key=lambda e: e["step"]):
        summaries = check_entry(entry)
        if "conflict_rows" in entry["expect"]:
            conflict_rows = {i["row"] for i in summaries[0]["issues"] if i["rule"] == "conflict"}
            assert conflict_rows == set(entry["expect"]["conflict_rows"])
