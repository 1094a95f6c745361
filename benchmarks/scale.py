"""Scale benchmark (issue 16 part 1): a base database of N records (default 13,000,000) on PostgreSQL, and what the
other benchmarks measure, taken at that size with their own functions.

Base (COPY-loaded in chunks of --chunk persons, each chunk one transaction; resumable with --reuse):
  persons      entities + P0101 records placed down to the sample villages and grids of benchmarks/reports.py
               (10 villages × 3 grids under each of the 159 townships of the Yantai division codes: ≈80% at a grid,
               ≈15% at a village, ≈5% at the township only), ID numbers and birth dates of benchmarks/rules.py
  lists        the department lists of benchmarks/rules.py (LISTS: 90% insured P0307, 20% pensioners P0313, 2% 低保
               P0301, 1% deaths P0106, 1.5% disabled P0209, the 80+ allowance P0305, P0304): ≈1.17 records a person
  houses       0.4 a person (H0101, keyed by house_code, owner = a person), placed like the persons
  enterprises  0.05 a person (E0101, keyed by a USCC-shaped code), placed like the persons
  versions     one create version for every record (the change feed reads them)
  summaries    the board's record counts and the link index of the chunk's records (basedb/summaries.py)
  ≈2.62 records a person: 13,000,000 records are ≈4.96 million persons. After the last chunk: the count rows
  folded (compact_counts, one per township, place and subcategory, as merges leave them), VACUUM ANALYZE,
  CHECKPOINT. The number of persons loaded is kept in the table bench_scale_progress, so that a run stopped halfway,
  or a run with a larger --records, continues where the base ends (--reuse).

Timed at that size (--steps, default all, in this order):
  merge     100,000 new P0101 rows of township 370602002 (benchmarks/merge.py: stage_batch, timed_merge), beside
            the plain COPY and the write floor of the same rows taken just before (merge / floor), then the same
            rows again in another order (all unchanged)
  rules     full evaluation of the four pinned rules, first run and a steady re-run (benchmarks/rules.py)
  report    fill_report(population_overview) for the city, cold and median (benchmarks/reports.py)
  pages     as an officer of the city (Django's test client, every middleware and query): the board of the city,
            the board filtered to county 370602, the entity page of random persons (cold, p50, p95, max)
  api       gunicorn on 127.0.0.1 (benchmarks/api.py): /api/v1/records/ p95 (100-row pages, region and
            subcategory filters), /api/v1/match/ of 10,000 keys, and the change feed /api/v1/changes/ (100-row
            pages at cursors spread over the versions) for a client of county 370602 (P0101 + P0301)
Reported too: the disk size of every table and index over 1 MB, the PostgreSQL settings, the peak RSS of this
process and of its children (gunicorn), the load average, and the build's seconds per chunk.

Usage (from the project root; the database is dropped and recreated unless --reuse):
    .venv/bin/python benchmarks/scale.py --database postgres://postgres@127.0.0.1:5432/gr_scale --records 13000000
Options: --records N --chunk 250000 --reuse --steps merge,rules,report,pages,api --requests 200 --match-runs 3.
Prints progress on stderr and one JSON object on stdout.
"""

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import load_sibling, machine_facts, person_id, setup_django  # noqa: E402 (after the path above)

COUNTY = "370602"
HOUSES_PER_PERSON, ENTERPRISES_PER_PERSON = 0.4, 0.05
STEPS = ("merge", "rules", "report", "pages", "api")
SETTINGS = ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "max_wal_size",
            "checkpoint_timeout", "synchronous_commit", "max_parallel_workers_per_gather", "random_page_cost",
            "jit", "server_version")  # fmt: skip


bench_merge, bench_api, bench_rules, bench_reports, bench_gridwork = (
    load_sibling(n) for n in ("merge", "api", "rules", "reports", "gridwork")
)
sys.path.insert(0, str(HERE.parent))  # benchmarks/rules.py put this folder first: `reports` is the app again


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The base


def records_per_person() -> float:
    """Records per person that follow from the generator (the lists repeat every 13,400 persons)."""
    period = 13_400
    lists = sum(1 for n in range(period) for held in bench_rules.LISTS.values() if held(n)) / period
    return 1 + lists + HOUSES_PER_PERSON + ENTERPRISES_PER_PERSON


def uscc(n: int) -> str:
    return f"913706{n:011d}X"


def house_values(h: int, place: str) -> str:
    owner = h * 5 // 2  # houses are numbered 0.4 a person: the owner is a person of the same chunk
    data = {"house_code": f"H3706{h:010d}", "address": f"东山路{h % 300}号{h % 6 + 1}单元{h % 30 + 1}室",
            "house_use": "1", "floor_area": f"{60 + h % 90}.5", "owner_name": f"人员{owner}",
            "owner_id_number": bench_rules.id_number(owner)}  # fmt: skip
    if len(place) > 9:
        data["grid"] = place
    return json.dumps(data, ensure_ascii=False)


def enterprise_values(e: int, place: str) -> str:
    data = {"enterprise_name": f"烟台市企业{e}有限公司", "uscc": uscc(e), "legal_representative": f"人员{e * 20}",
            "phone": f"0535{e % 10**7:07d}", "address": f"幸福路{e % 500}号", "industry": "C",
            "employees": str(e % 200), "established_date": f"{1990 + e % 35}-{1 + e % 12:02d}-01"}  # fmt: skip
    if len(place) > 9:
        data["grid"] = place
    return json.dumps(data, ensure_ascii=False)


def load_chunk(lo: int, hi: int, townships: list[str], ids: dict[str, int]) -> dict:
    """Persons [lo, hi) with their lists, and the houses and enterprises numbered in proportion; one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from basedb.summaries import count_records, index_links
    from catalog.pointers import pointing_items
    from collection.staging import insert_rows

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    place_of, values, lists = bench_reports.place_of, bench_rules.values, bench_rules.LISTS
    columns = ("entity_id", "subcategory_id", "region_id", "place_id", '"values"', "status", "version", "created_at",
               "updated_at")  # fmt: skip
    counts = {}

    def township(n: int) -> str:
        return townships[n % len(townships)]

    def entities(cursor, kind: str, rows) -> int:
        """COPY (key, region, display name) rows as entities of `kind`; returns the first new id."""
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM basedb_entity")
        floor = cursor.fetchone()[0]
        insert_rows(cursor, "basedb_entity", ("kind", "key", "region_id", "display_name", "created_at", "updated_at"),
                    ((kind, key, region, name, now, now) for key, region, name in rows))  # fmt: skip
        cursor.execute("SELECT MIN(id) FROM basedb_entity WHERE id > %s", [floor])
        return cursor.fetchone()[0]

    houses = range(int(lo * HOUSES_PER_PERSON), int(hi * HOUSES_PER_PERSON))
    firms = range(int(lo * ENTERPRISES_PER_PERSON), int(hi * ENTERPRISES_PER_PERSON))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM basedb_record")
        record_floor = cursor.fetchone()[0]
        first = entities(cursor, "person", ((bench_rules.id_number(n), township(n), f"人员{n}") for n in range(lo, hi)))
        for code in ("P0101", *lists):
            held = lists.get(code, lambda n: True)

            def rows(code=code, held=held):
                for n in range(lo, hi):
                    if held(n):
                        t = township(n)
                        place = place_of(n, t)
                        extra = {"grid": place} if code == "P0101" and len(place) > 9 else {}
                        yield (first + n - lo, ids[code], t, place, values(n, code, **extra), "active", 1, now, now)

            insert_rows(cursor, "basedb_record", columns, rows())
        if houses:
            first = entities(cursor, "house", ((f"H3706{h:010d}", township(h), f"东山路{h % 300}号") for h in houses))
            insert_rows(cursor, "basedb_record", columns,
                        ((first + i, ids["H0101"], township(h), place_of(h, township(h)),
                          house_values(h, place_of(h, township(h))), "active", 1, now, now)
                         for i, h in enumerate(houses)))  # fmt: skip
        if firms:
            first = entities(cursor, "enterprise", ((uscc(e), township(e), f"烟台市企业{e}有限公司") for e in firms))
            insert_rows(cursor, "basedb_record", columns,
                        ((first + i, ids["E0101"], township(e), place_of(e, township(e)),
                          enterprise_values(e, place_of(e, township(e))), "active", 1, now, now)
                         for i, e in enumerate(firms)))  # fmt: skip
        cursor.execute(
            "INSERT INTO basedb_recordversion (record_id, version, action, changes, subcategory_id, region_id, note, "
            "created_at) SELECT id, 1, 'create', '{}', subcategory_id, region_id, '', created_at FROM basedb_record "
            "WHERE id > %s",
            [record_floor],
        )
        counts["records"] = cursor.rowcount
        # What the merge keeps beside the records it writes: the board's counts and the link index.
        count_records(cursor, "r.id > %s", [record_floor])
        index_links(cursor, pointing_items(), "r.id > %s", [record_floor])
        cursor.execute("UPDATE bench_scale_progress SET persons = %s", [hi])
    return counts


def build(persons: int, chunk: int, townships: list[str], ids: dict[str, int]) -> dict:
    """Load persons up to `persons`, from where bench_scale_progress says the base ends; returns the build's times."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_scale_progress (persons bigint NOT NULL)")
        cursor.execute(
            "INSERT INTO bench_scale_progress SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM bench_scale_progress)"
        )
        cursor.execute("SELECT persons FROM bench_scale_progress")
        done = cursor.fetchone()[0]
    report = {"persons_before": done, "chunks": []}
    if done >= persons:
        return report
    started = time.perf_counter()
    for lo in range(done, persons, chunk):
        hi = min(persons, lo + chunk)
        t = time.perf_counter()
        counts = load_chunk(lo, hi, townships, ids)
        seconds = time.perf_counter() - t
        report["chunks"].append({"persons": [lo, hi], "records": counts["records"], "seconds": round(seconds, 1),
                                 "load": round(os.getloadavg()[0], 1)})  # fmt: skip
        log("chunk", report["chunks"][-1])
    report["load_seconds"] = round(time.perf_counter() - started, 1)
    t = time.perf_counter()
    from basedb.summaries import compact_counts

    compact_counts()  # one count row per (township, place, subcategory), as the merges of a real base leave them
    report["compact_counts_seconds"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        # As benchmarks/rules.py: the first full scan of COPY-loaded rows would otherwise write every page back.
        cursor.execute("VACUUM ANALYZE")
    report["vacuum_analyze_seconds"] = round(time.perf_counter() - t, 1)
    bench_merge.settle(True)
    report["seconds"] = round(time.perf_counter() - started, 1)
    log("built", {k: v for k, v in report.items() if k != "chunks"})
    return report


# ---------------------------------------------------------------------------------------------------------------
# What the base is like


def sizes() -> dict:
    """Bytes on disk: every table (with its indexes and TOAST; heap alone) and index over 1 MB, and the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind, pg_total_relation_size(c.oid), pg_relation_size(c.oid), c.reltuples "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND pg_total_relation_size(c.oid) > 1048576 "
            "ORDER BY pg_total_relation_size(c.oid) DESC"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM basedb_record")
        records = cursor.fetchone()[0]
        cursor.execute("SELECT kind, COUNT(*) FROM basedb_entity GROUP BY kind")
        entities = dict(cursor.fetchall())
    mb = 2**20
    return {
        "records": records,
        "entities": entities,
        "database_mb": round(database / mb),
        "tables": {name: {"total_mb": round(total / mb), "heap_mb": round(heap / mb), "rows": int(tuples)}
                   for name, kind, total, heap, tuples in rows if kind == "r"},
        "indexes": {name: round(heap / mb) for name, kind, _total, heap, _t in rows if kind == "i"},
    }  # fmt: skip


def pg_settings() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        found = {}
        for name in SETTINGS:
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    return found


def peak_memory() -> dict:
    """Peak RSS (MiB) of this process and of its waited-for children (the gunicorn workers)."""
    return {"self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "children_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Timed steps


def step_merge(entities: int, rows: int) -> dict:
    from catalog.models import Subcategory

    p0101 = Subcategory.objects.get(code="P0101")
    start = 50_000_000 + entities  # people the base does not hold (person_id(n) for n < 10**8)
    rng = random.Random(6)
    new = [(i + 2, person_id(start + i), json.dumps(bench_merge.person(start + i, rng), ensure_ascii=False))
           for i in range(rows)]  # fmt: skip
    bench_merge.settle(True)
    # The write floor of the same rows at this size, in the same minute as the merge (issue 16: merge ≤ 2× floor).
    copy = bench_merge.plain_copy(new, True)
    floor = bench_merge.write_floor(new, p0101.pk, "370602002", True)
    log("copy", round(copy, 2), "floor", round(floor, 2))
    batch = bench_merge.stage_batch("370602002", p0101, new, True)
    merged = bench_merge.timed_merge(batch, None)
    log("merge", merged["seconds"], "merge/floor", round(merged["seconds"] / floor, 2))
    shuffled = random.Random(7).sample(new, len(new))
    again = bench_merge.stage_batch("370602002", p0101, [(i + 2, k, v) for i, (_r, k, v) in enumerate(shuffled)], True)
    remerged = bench_merge.timed_merge(again, None)
    log("remerge", remerged["seconds"])
    return {
        "rows": rows,
        "copy_seconds": round(copy, 2),
        "write_floor_seconds": round(floor, 2),
        "merge": merged,
        "merge_vs_floor": round(merged["seconds"] / floor, 2),
        "remerge": remerged,
    }


def step_rules() -> dict:
    from matching.models import Rule

    rules = [Rule.objects.get(code=code) for code in bench_rules.PINNED]
    started = time.perf_counter()
    report = bench_rules.full_evaluation(rules)
    report["seconds"] = round(time.perf_counter() - started, 1)
    log("rules", report["seconds"])
    return report


def step_report(rounds: int) -> dict:
    from regions.models import Region
    from reports.formbook import definition_of
    from reports.models import ReportForm

    definition = definition_of(ReportForm.objects.get(code="population_overview"))
    timed = bench_reports.timed_fill(definition, Region.objects.get(code="3706"), rounds)
    filled = timed.pop("report")
    log("report", timed)
    return {"region": "3706", **timed, "total": filled.total.values}


def step_pages(requests: int, persons: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from basedb.models import Entity
    from regions.choices import Role
    from regions.models import RegionRole

    user, _ = get_user_model().objects.get_or_create(username="bench_scale_officer")
    RegionRole.objects.get_or_create(user=user, region_id="3706", role=Role.OFFICER)
    client = Client()
    client.force_login(user)
    rng = random.Random(10)
    keys = [bench_rules.id_number(rng.randrange(persons)) for _ in range(requests + 1)]
    public_ids = iter(
        Entity.objects.unrestricted("benchmark: random persons of the whole city")
        .filter(kind="person", key__in=keys)
        .values_list("public_id", flat=True)
    )
    pages = {
        "board_city": (lambda: client.get("/basedb/board/"), max(3, requests // 20)),
        "board_county": (lambda: client.get(f"/basedb/board/?county={COUNTY}"), max(3, requests // 20)),
        "entity_page": (lambda: client.get(f"/basedb/entities/{next(public_ids)}/"), requests - 1),
    }
    report = {}
    for name, (send, count) in pages.items():
        report[name] = bench_gridwork.timings(send, count)
        log(name, report[name])
    return report


def bench_changes(session, base: str, requests: int, max_version: int) -> dict:
    """The change feed: 100-row pages from cursors spread over the versions (after 10 warm-up pages)."""
    rng = random.Random(11)
    times, rows = [], []
    for i in range(requests + 10):
        params = {"cursor": rng.randrange(0, max_version * 9 // 10), "page_size": 100}
        started = time.perf_counter()
        response = session.get(f"{base}/api/v1/changes/", params=params, timeout=60)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        if i >= 10:
            times.append(elapsed)
            rows.append(len(response.json()["results"]))
    return {"requests": len(times), "rows_min": min(rows), "p50_ms": bench_api.percentile(times, 50),
            "p95_ms": bench_api.percentile(times, 95), "max_ms": round(max(times), 1)}  # fmt: skip


def step_api(database: str, persons: int, townships: list[str], requests: int, match_runs: int, port: int) -> dict:
    import requests as http
    from django.db.models import Max

    from basedb.models import Record, RecordVersion
    from catalog.models import Subcategory
    from sharing.clients import create_client
    from sharing.models import ApiClient

    subs = list(Subcategory.objects.filter(code__in=("P0101", "P0301")))
    name = f"benchmark-scale-{ApiClient.objects.unrestricted('benchmark').count() + 1}"
    _client, token = create_client(name=name, subcategories=subs, region=COUNTY, max_sensitivity="internal",
                                   acting_user=None, rate_limit=1_000_000)  # fmt: skip
    county_townships = [t for t in townships if t.startswith(COUNTY)]
    scope_people = [n for n in range(persons) if townships[n % len(townships)].startswith(COUNTY)]
    max_id = Record.objects.unrestricted("benchmark").aggregate(m=Max("id"))["m"]
    max_version = RecordVersion.objects.unrestricted("benchmark").aggregate(m=Max("id"))["m"]
    server = bench_api.serve(database, port, 2)
    report = {"records_in_scope": len(scope_people)}
    try:
        session = http.Session()
        session.headers["Authorization"] = f"Token {token}"
        base = f"http://127.0.0.1:{port}"
        report["records_page"] = bench_api.bench_records(session, base, requests, county_townships, max_id)
        log("records", report["records_page"])
        report["match"] = bench_api.bench_match(session, base, match_runs, 10_000, scope_people,
                                                key=bench_rules.id_number)  # fmt: skip
        log("match", report["match"])
        report["changes"] = bench_changes(session, base, requests, max_version)
        log("changes", report["changes"])
    finally:
        server.terminate()
        server.wait(timeout=60)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="postgres:// URL of a scratch database (dropped!)")
    parser.add_argument("--records", type=int, default=13_000_000, help="records of the base (approximately)")
    parser.add_argument("--chunk", type=int, default=250_000, help="persons per prefill transaction")
    parser.add_argument("--reuse", action="store_true", help="continue the base of an earlier run (grow or resume)")
    parser.add_argument("--steps", default=",".join(STEPS), help="which timed steps, comma-separated")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the merged batch")
    parser.add_argument("--requests", type=int, default=200, help="timed requests of each page or endpoint")
    parser.add_argument("--match-runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    steps = [s for s in args.steps.split(",") if s]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")

    setup_django(args.database, reuse=args.reuse)
    from django.core.management import call_command
    from django.db import connection

    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from matching.loader import load_rules
    from regions.loader import load_divisions
    from regions.models import Region
    from regions.samples import generate_sample_villages
    from reports.loader import load_reports

    if connection.vendor != "postgresql":
        raise SystemExit("benchmarks/scale.py needs PostgreSQL")
    ratio = records_per_person()
    persons = round(args.records / ratio)
    report = {"records_asked": args.records, "records_per_person": round(ratio, 4), "persons": persons,
              "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "load_before": os.getloadavg()}  # fmt: skip
    call_command("migrate", verbosity=0)
    load_divisions()
    townships = sorted(Region.objects.townships().values_list("code", flat=True))
    generate_sample_villages(townships, villages=bench_reports.VILLAGES, grids=bench_reports.GRIDS)
    load_catalog()
    load_rules()
    load_reports()
    report["townships"] = len(townships)
    ids = dict(Subcategory.objects.values_list("code", "pk"))
    report["build"] = build(persons, args.chunk, townships, ids)
    report["size"] = sizes()
    log("size", report["size"]["records"], "records", report["size"]["database_mb"], "MB")
    if "merge" in steps:
        report["merge"] = step_merge(sum(report["size"]["entities"].values()), args.rows)
    if "rules" in steps:
        report["rules"] = step_rules()
    if "report" in steps:
        report["population_overview"] = step_report(rounds=2)
    if "pages" in steps:
        report["pages"] = step_pages(args.requests, persons)
    if "api" in steps:
        report["api"] = step_api(args.database, persons, townships, args.requests, args.match_runs, args.port)
    report["size_after"] = sizes()
    report["settings"] = pg_settings()
    report["peak_memory"] = peak_memory()
    report["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report |= machine_facts()
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
