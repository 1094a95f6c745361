"""Matching-rules benchmark (issue 13): full evaluation of the four pinned rules, and the incremental re-evaluation
after a 100,000-row merge, on a base database of N persons with the department lists a city has.

Steps, on a freshly created database (dropped and recreated each run unless --reuse):
  prefill      N persons: entities and P0101 records (≈5% without a birth date: the age comes from the ID number),
               spread over all townships, and the department lists: ≈90% insured (P0307), ≈3% aged 80+ of whom
               half get the elderly allowance (P0305), ≈2% 低保 (P0301), ≈1% deaths in the year (P0106), ≈20%
               pensioners (P0313), ≈1.5% disabled (P0209) of whom half are subsidised (P0304); COPY-loaded, ANALYZE,
               CHECKPOINT. `prefill(size)` builds any size (the scale benchmark reuses it).
  full         evaluate_rule for each pinned rule: the first run creates the work lists, the second is a steady-state
               run that changes nothing (both timed per rule)
  merge_p0101  100,000 P0101 rows (90,000 changed addresses, 10,000 new uninsured people) as one reviewed city-wide
               roster (数据下沉: each staged row routed to its person's township, as collection/routing.py leaves
               it), merged with basedb.merge.merge_batch (reported only)
  incremental  matching.incremental.reevaluate_changes(): every active rule reading P0101, for the changed entities
  merge_p0307  100,000 P0307 rows: 50,000 uninsured people enrol, 50,000 insured change their status
  incremental  the same, for the rules reading P0307

Targets: full evaluation of each pinned rule ≤ 10 s at 1M; incremental after a 100k merge ≤ 5 s for all rules.

Usage (from the project root; the database is dropped and recreated):
    .venv/bin/python benchmarks/rules.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_rules
Options: --persons 1000000 --rows 100000 --reuse --rounds N (each incremental pass N times over the same change
feed, the work lists put back in between; medians). Prints one JSON object.
"""

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # benchmarks/merge.py imports `common` as a top-level module
_spec = importlib.util.spec_from_file_location("bench_merge", ROOT / "benchmarks" / "merge.py")
bench_merge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_merge)
settle = bench_merge.settle
from common import fresh_database, machine_facts  # noqa: E402 (after the path above)

AS_OF = date(2026, 6, 30)
PINNED = ("medical_insurance_gap", "elderly_allowance_gap", "deceased_still_paid", "disability_subsidy_gap")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"


# ---------------------------------------------------------------------------------------------------------------
# Who is who: every fact about person n follows from n, so any size can be generated and checked


def born(n: int) -> str:
    """≈3% aged 80–95 on AS_OF, the others born 1947–2020 (under 80)."""
    year = 1931 + n % 15 if n % 100 < 3 else 1947 + n % 74
    return f"{year:04d}-{1 + n % 12:02d}-{1 + n % 28:02d}"


def id_number(n: int) -> str:
    """A distinct (n < 10**8), checksum-valid ID number embedding person n's birth date."""
    body = f"3{n // 1000:05d}{born(n).replace('-', '')}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


LISTS = {
    "P0307": lambda n: n % 100 >= 10,  # insured
    "P0305": lambda n: n % 100 < 3 and n % 200 < 100,  # half of the 80+ get the elderly allowance
    "P0301": lambda n: n % 50 == 7,  # 低保
    "P0106": lambda n: n % 100 == 50,  # died this year (their pension, P0313, is still paid)
    "P0313": lambda n: n % 5 == 0,  # pensioners
    "P0209": lambda n: n % 67 == 3,  # disabled
    "P0304": lambda n: n % 67 == 3 and n % 2 == 0,  # half of them subsidised
}
EXTRA = {
    "P0307": {"medical_insurance_type": "2", "insured_status": "1"},
    "P0106": {"death_date": "2026-03-01"},
    "P0301": {"assistance_category": "2"},
    "P0305": {"allowance_tier": "1"},
    "P0313": {"pension_insurance_type": "2"},
    "P0209": {"disability_cert_no": "37060219800101123X41", "disability_type": "1", "disability_level": "3"},
    "P0304": {"disability_subsidy_type": "1"},
}


def values(n: int, subcategory: str, **extra) -> str:
    """Person n's values in a subcategory, as JSON text."""
    data = {"name": SURNAMES[n % len(SURNAMES)] + "某" + str(n % 100), "id_number": id_number(n),
            "sex": "1" if n % 2 else "2", "current_address": f"芝罘区东山路{n % 300}号"}  # fmt: skip
    if n % 20 != 7:  # ≈5% have no birth date: their age comes from the ID number
        data["birth_date"] = born(n)
    return json.dumps(data | EXTRA.get(subcategory, {}) | extra, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------------------------
# Set-up


def prefill(size: int, townships: list[str], subcategory_ids: dict[str, int], pg: bool) -> dict:
    """`size` persons with their P0101 records and the department lists (see the module docstring); returns
    seconds and record counts. Versions are not written: the incremental pass only reads versions after the prefill."""
    from django.db import connection, transaction
    from django.utils import timezone

    from collection.staging import insert_rows

    started = time.perf_counter()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        entities = (("person", id_number(n), townships[n % len(townships)], f"人员{n}", now, now) for n in range(size))
        columns = ("kind", "key", "region_id", "display_name", "created_at", "updated_at")
        insert_rows(cursor, "basedb_entity", columns, entities)
        cursor.execute("SELECT MIN(id) FROM basedb_entity")
        first = cursor.fetchone()[0]
        for code in ("P0101", *LISTS):
            held = LISTS.get(code, lambda n: True)
            rows = (
                (first + n, subcategory_ids[code], townships[n % len(townships)], townships[n % len(townships)],
                 values(n, code), "active", 1, now, now)
                for n in range(size) if held(n)
            )  # fmt: skip
            columns = ("entity_id", "subcategory_id", "region_id", "place_id", '"values"', "status", "version",
                       "created_at", "updated_at")  # fmt: skip
            insert_rows(cursor, "basedb_record", columns, rows)
            counts[code] = sum(1 for n in range(size) if held(n))
    with connection.cursor() as cursor:
        # VACUUM, not only ANALYZE: the first full scan of freshly COPY-loaded rows sets every hint bit and writes
        # the whole table back (the first evaluation took 538 s instead of 5 s without it); autovacuum has done
        # this long before on any database that was not loaded a minute ago.
        cursor.execute("VACUUM ANALYZE" if pg else "ANALYZE")
    seconds = time.perf_counter() - started
    settle(pg)
    return {"seconds": round(seconds, 1), "records": counts}


def expected_counts(size: int) -> dict[str, int]:
    """The pinned rules' work-list sizes that follow from the generator (checked against the evaluation)."""
    alive = [n for n in range(size) if not LISTS["P0106"](n)]
    return {
        "medical_insurance_gap": sum(1 for n in alive if not LISTS["P0307"](n)),
        "elderly_allowance_gap": sum(1 for n in alive if n % 100 < 3 and not LISTS["P0305"](n)),
        "deceased_still_paid": sum(
            1
            for n in range(size)
            if LISTS["P0106"](n) and any(LISTS[c](n) for c in ("P0301", "P0304", "P0305", "P0313"))
        ),
        "disability_subsidy_gap": sum(
            1 for n in range(size) if LISTS["P0209"](n) and LISTS["P0301"](n) and not LISTS["P0304"](n)
        ),
    }


# ---------------------------------------------------------------------------------------------------------------
# Timed steps


def full_evaluation(rules) -> dict:
    """Each rule evaluated in full, twice (the first run creates the work list; the second changes nothing)."""
    from matching.evaluation import evaluate_rule

    report = {}
    for rule in rules:
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            run = evaluate_rule(rule, as_of=AS_OF)
            runs.append({"seconds": round(time.perf_counter() - started, 2), "matched": run.matched, "new": run.new,
                         "closed": run.closed})  # fmt: skip
        report[rule.code] = {"first": runs[0], "steady": runs[1]}
    return report


def stage_roster(subcategory, rows: list[tuple], pg: bool):
    """A reviewed city-wide roster: one batch of the city whose staged rows (row, key, values JSON, township) are
    routed to their townships (`place`), as intake's routing leaves them (collection/routing.py)."""
    from django.db import connection, transaction

    from collection.choices import BatchStatus
    from collection.models import Batch
    from collection.staging import insert_rows

    with transaction.atomic():
        batch = Batch.objects.create(file="uploads/bench.xlsx", original_name="bench.xlsx", sha256="0" * 64,
                                     region_id="3706", subcategory=subcategory, status=BatchStatus.PENDING_REVIEW,
                                     rows=len(rows), valid=len(rows))  # fmt: skip
        with connection.cursor() as cursor:
            staged = ((batch.pk, row, text, key, True, 0, 0, "pending", place) for row, key, text, place in rows)
            columns = ("batch_id", "row", '"values"', "key", "is_valid", "errors", "warnings", "merge_state", "place")
            insert_rows(cursor, "collection_stagedrow", columns, staged)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE collection_stagedrow" if pg else "ANALYZE")
    settle(pg)
    return batch


def merge_rows(code: str, people: list[tuple[int, str]], townships: list[str], subcategory, pg: bool) -> dict:
    """Merge `people` ((n, values JSON)) as one reviewed city-wide roster, each row routed to its person's township;
    returns the merge's counts."""
    from basedb.merge import merge_batch

    rows = [(i + 2, id_number(n), text, townships[n % len(townships)]) for i, (n, text) in enumerate(people)]
    batch = stage_roster(subcategory, rows, pg)
    started = time.perf_counter()
    totals = {"subcategory": code, "rows": len(people), "batches": 1, **merge_batch(batch, acting_user=None).as_dict()}
    totals["seconds"] = round(time.perf_counter() - started, 2)
    settle(pg)
    return totals


def incremental_once() -> dict:
    from matching.incremental import reevaluate_changes

    started = time.perf_counter()
    runs = reevaluate_changes(as_of=AS_OF)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "rules": {r.rule.code: {"seconds": round(r.seconds, 2), "new": r.new,
            "closed": r.closed} for r in runs}}  # fmt: skip


def incremental(rounds: int, pg: bool) -> dict:
    """The incremental pass `rounds` times over the same change feed: before each round after the first, the work
    lists and the change cursor are put back as they were before the first (a copy of the entries table), the
    entries table is vacuumed and analysed like the merged tables were, and the server checkpoints. Returns every
    round and the medians (the machine is shared: one round says little)."""
    from django.db import connection

    from matching.models import ChangeCursor

    if rounds <= 1:
        return incremental_once()
    cursor_at = ChangeCursor.objects.get(name="default").last_version
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_entries")
        cursor.execute("CREATE TABLE bench_entries AS SELECT * FROM matching_workentry")
    results = []
    for n in range(rounds):
        if n:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE matching_workentry CASCADE" if pg else "DELETE FROM matching_workentry")
                cursor.execute("INSERT INTO matching_workentry SELECT * FROM bench_entries")
                cursor.execute("VACUUM ANALYZE matching_workentry" if pg else "ANALYZE")
            ChangeCursor.objects.filter(name="default").update(last_version=cursor_at)
            settle(pg)
        results.append(incremental_once())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_entries")
    codes = results[0]["rules"]
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "rounds": [r["seconds"] for r in results],
        "rules": {c: results[-1]["rules"][c] | {"seconds": statistics.median(r["rules"][c]["seconds"] for r in results)}
                  for c in codes},
    }  # fmt: skip


def p0101_people(size: int, rows: int) -> list[tuple[int, str]]:
    """90% of `rows`: existing people with a new address (every 7th person from the start); 10%: new people."""
    changed = list(range(0, size, 7))[: rows * 9 // 10]
    new = range(size, size + rows - len(changed))
    return [(n, values(n, "P0101", current_address=f"莱山区新址{n}号")) for n in changed] + [
        (n, values(n, "P0101")) for n in new
    ]


def p0307_people(size: int, rows: int) -> list[tuple[int, str]]:
    """Half enrol (uninsured until now), half of the insured change their status."""
    enrol = [n for n in range(size) if not LISTS["P0307"](n)][: rows // 2]
    change = [n for n in range(size) if LISTS["P0307"](n) and n % 7 == 1][: rows - len(enrol)]
    return [(n, values(n, "P0307", insured_status="1")) for n in enrol] + [
        (n, values(n, "P0307", insured_status="2")) for n in change
    ]


def run(size: int, rows: int, database: str, reuse: bool = False, rounds: int = 1) -> dict:
    """The whole benchmark at `size` persons (the scale benchmark calls this with larger sizes)."""
    if not reuse:
        fresh_database(database)
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max

    from basedb.models import Entity, RecordVersion
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from matching.loader import load_rules
    from matching.models import ChangeCursor, Rule
    from regions.loader import load_divisions
    from regions.models import Region

    pg = connection.vendor == "postgresql"
    call_command("migrate", verbosity=0)
    load_divisions()
    load_catalog()
    load_rules()
    ids = dict(Subcategory.objects.values_list("code", "pk"))
    townships = sorted(Region.objects.townships().values_list("code", flat=True))
    report = {"database": connection.vendor, "persons": size, "rows": rows, "as_of": AS_OF.isoformat()}
    if not (reuse and Entity.objects.unrestricted("benchmark").count() >= size):
        report["prefill"] = prefill(size, townships, ids, pg)
    rules = [Rule.objects.get(code=code) for code in PINNED]
    report["full"] = full_evaluation(rules)
    report["full_other_rules"] = full_evaluation(Rule.objects.filter(is_active=True).exclude(code__in=PINNED))
    report["expected"] = expected_counts(size)
    report["lists_as_expected"] = all(
        report["full"][code]["steady"]["matched"] == n for code, n in report["expected"].items()
    )
    last = RecordVersion.objects.unrestricted("benchmark").aggregate(m=Max("id"))["m"] or 0
    ChangeCursor.objects.update_or_create(name="default", defaults={"last_version": last})
    for code, make in (("P0101", p0101_people), ("P0307", p0307_people)):
        people = make(size, rows)
        report[f"merge_{code}"] = merge_rows(code, people, townships, Subcategory.objects.get(code=code), pg)
        report[f"incremental_{code}"] = incremental(rounds, pg)
    report |= machine_facts()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch database (dropped!)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of each timed merge")
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of each incremental pass (medians reported)")
    args = parser.parse_args()
    report = run(args.persons, args.rows, args.database, args.reuse, args.rounds)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
