"""入库预览 benchmark (issue 15 item 7): what approving a batch would change, computed against a base database of M
records, for a batch of N rows (half of them already held: 1 in 10 with a changed phone, 1 in 4 held by another
township; the other half new).

Steps, on a freshly created database (dropped and recreated each run):
  prefill   M persons as entities, P0101 records and create versions (benchmarks/merge.py's prefill), 3 in 4 held
            by township 370602002, 1 in 4 by 370602001
  stage     a batch of 370602002 with N valid staged rows, values as the records hold them (but the changed phones)
  preview   basedb.preview.approval_preview(batch): counts, the first page of updates item by item, the
            conflicting people; one cold call, then --repeat timed ones (p50, max), its queries, and a later page
  counts    basedb.outcomes.preview_batch(batch): the counts-only dry run it replaces on the page, for comparison

Usage (from the project root):
    .venv/bin/python benchmarks/preview.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_preview
    .venv/bin/python benchmarks/preview.py --database sqlite:////tmp/grassroots_bench_preview.sqlite3
Options: --prefill 200000 --rows 100000 --repeat 5. Prints one JSON object.
"""

import argparse
import json
import random
import statistics
import time

from common import machine_facts, setup_django
from merge import person, prefill, settle, stage_batch

TOWNSHIP, OTHER = "370602002", "370602001"


def batch_rows(held: int, rows: int) -> tuple[list[tuple], dict]:
    """(row, key, values JSON) of the batch and what it should come to: the values the prefill wrote (same seed,
    same order) for the held half, a new phone for 1 in 10 of them, new persons for the other half."""
    rng, first = random.Random(5), held - rows // 2
    out, expected = [], {"created": rows - rows // 2, "updated": 0, "unchanged": 0, "conflicts": 0}
    for n in range(held):
        values = person(n, rng)
        if n < first:
            continue
        if n % 4 == 3:
            expected["conflicts"] += 1
        elif n % 10 == 0:
            values["phone"] = f"139{n % 10**8:08d}"
            expected["updated"] += 1
        else:
            expected["unchanged"] += 1
        out.append(values)
    fresh = random.Random(6)
    out += [person(held + i, fresh) for i in range(rows - len(out))]
    return [(i + 2, v["id_number"], json.dumps(v, ensure_ascii=False)) for i, v in enumerate(out)], expected


def timed(call, repeat: int) -> dict:
    """One cold call, then `repeat` timed ones, in seconds, with the queries of one call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    call()
    cold = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        call()
    return {"cold_s": round(cold, 3), "p50_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            "queries": len(queries), "result": result}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch database (dropped!)")
    parser.add_argument("--prefill", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    setup_django(args.database)
    from django.core.management import call_command
    from django.db import connection

    from basedb.outcomes import preview_batch
    from basedb.preview import approval_preview
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from regions.loader import load_divisions

    pg = connection.vendor == "postgresql"
    call_command("migrate", verbosity=0)
    load_divisions()
    load_catalog()
    p0101 = Subcategory.objects.get(code="P0101")
    report = {"database": connection.vendor, "prefill": args.prefill, "rows": args.rows}
    report["prefill_seconds"] = round(prefill(args.prefill, [TOWNSHIP] * 3 + [OTHER], p0101.pk, pg), 1)
    rows, expected = batch_rows(args.prefill, args.rows)
    batch = stage_batch(TOWNSHIP, p0101, rows, pg)
    settle(pg)
    preview = timed(lambda: approval_preview(batch), args.repeat)
    got = preview.pop("result")
    counts = {"created": got.created, "updated": got.updated, "unchanged": got.unchanged, "conflicts": got.conflicts}
    assert counts == expected, (counts, expected)
    report["preview"] = preview | counts | {"updates_on_page": len(got.updates.object_list)}
    last = timed(lambda: approval_preview(batch, page=got.updates.paginator.num_pages), args.repeat)
    report["preview_last_page"] = {k: v for k, v in last.items() if k != "result"}
    old = timed(lambda: preview_batch(batch), args.repeat)
    old.pop("result")
    report["counts_only"] = old
    report |= machine_facts()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
