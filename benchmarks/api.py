"""Sharing API benchmark (issue 6): with 1,000,000 records in PostgreSQL and the server (gunicorn) on 127.0.0.1,
the p95 of a 100-row /api/v1/records/ page filtered by region and subcategory, and /api/v1/match/ of 10,000 ID
numbers.

Steps, on a freshly created database (dropped and recreated each run unless --reuse):
  prefill   N persons: entities + P0101 records + create versions, COPYed in, spread over all townships; every
            tenth person also gets a P0301 (低保) record; then ANALYZE
  serve     gunicorn grassroots.wsgi on 127.0.0.1 (--workers), a client of county 370602 for P0101 and P0301
  records   --requests pages of 100 rows (subcategory=P0101, region = the county or one township, cursors spread
            over the id range), after a warm-up; p50/p95/max in ms, measured by the HTTP client (requests)
  match     --match-runs POSTs of 10,000 ID numbers (in scope, out of scope, unknown) against P0101 + P0301

Usage (from the project root):
    .venv/bin/python benchmarks/api.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_api
Options: --prefill 1000000 --requests 300 --match-runs 5 --workers 2 --port 8765 --reuse. Prints one JSON object.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import time

from common import ROOT, machine_facts, person_id, setup_django

COUNTY = "370602"


def values(n: int) -> str:
    return json.dumps({
        "name": f"人员{n}", "id_number": person_id(n), "sex": "1" if n % 2 else "2", "ethnicity": "01",
        "birth_date": f"{1950 + n % 50:04d}-{1 + n % 12:02d}-{1 + n % 28:02d}", "phone": f"13{n % 10**9:09d}",
        "household_address": f"芝罘区幸福路{n % 300}号", "relation_to_head": "02", "education": "20",
    }, ensure_ascii=False)  # fmt: skip


def prefill(count: int, townships: list[str], p0101: int, p0301: int) -> float:
    """count persons (entities, P0101 records, versions), every tenth also in P0301; returns seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from collection.staging import insert_rows

    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        region = [townships[n % len(townships)] for n in range(count)]
        insert_rows(cursor, "basedb_entity", ("kind", "key", "region_id", "display_name", "created_at", "updated_at"),
                  (("person", person_id(n), region[n], f"人员{n}", now, now) for n in range(count)))  # fmt: skip
        cursor.execute("SELECT MIN(id) FROM basedb_entity")
        first = cursor.fetchone()[0]
        columns = ("entity_id", "subcategory_id", "region_id", "place_id", '"values"', "status", "version",
                   "created_at", "updated_at")  # fmt: skip
        insert_rows(cursor, "basedb_record", columns,
                  ((first + n, p0101, region[n], region[n], values(n), "active", 1, now, now)
                   for n in range(count)))  # fmt: skip
        insert_rows(
            cursor,
            "basedb_record",
            columns,
            ((first + n, p0301, region[n], region[n], values(n), "active", 1, now, now) for n in range(0, count, 10)),
        )
        cursor.execute(
            "INSERT INTO basedb_recordversion (record_id, version, action, changes, subcategory_id, region_id, note, "
            "created_at) SELECT id, 1, 'create', '{}', subcategory_id, region_id, '', created_at FROM basedb_record"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def serve(database: str, port: int, workers: int) -> subprocess.Popen:
    # The match runs alone look up 60,000 keys: above the default daily quota of a client (sharing/lookups.py).
    env = {**os.environ, "DATABASE_URL": database, "DB_CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING",
           "SHARING_DAILY_KEY_QUOTA": "100000000"}  # fmt: skip
    command = [str(ROOT / ".venv/bin/gunicorn"), "grassroots.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
               "--timeout", "120", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    import requests

    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 1)


def bench_records(session, base: str, requests_count: int, townships: list[str], max_id: int) -> dict:
    rng = random.Random(8)
    times, rows = [], []
    for i in range(requests_count + 20):
        region = COUNTY if i % 2 else rng.choice(townships)
        # A page somewhere in the middle: the cursor is (region, id) as the API hands it out.
        cursor = f"{rng.choice([t for t in townships if t.startswith(region)])}_{rng.randrange(0, max_id * 9 // 10)}"
        params = {"subcategory": "P0101", "region": region, "cursor": cursor}
        started = time.perf_counter()
        response = session.get(f"{base}/api/v1/records/", params=params, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        if i >= 20:  # warm-up
            times.append(elapsed)
            rows.append(len(response.json()["results"]))
    return {"requests": len(times), "rows_min": min(rows), "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95), "max_ms": round(max(times), 1)}  # fmt: skip


def bench_match(session, base: str, runs: int, count: int, scope_people: list[int], key=person_id) -> dict:
    """`key(n)`: person n's ID number in the prefilled base (benchmarks/scale.py builds it with another scheme)."""
    rng = random.Random(9)
    times, matched = [], []
    for _ in range(runs + 1):
        people = rng.sample(scope_people, min(count // 2, len(scope_people)))
        people += [rng.randrange(0, 10**6) for _ in range(count // 4)]
        keys = [key(n) for n in people] + [person_id(10**7 + i) for i in range(count - len(people))]
        body = {"keys": keys, "subcategories": ["P0101", "P0301"], "fields": ["name", "phone"]}
        started = time.perf_counter()
        response = session.post(f"{base}/api/v1/match/", json=body, timeout=60)
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        times.append(elapsed)
        matched.append(response.json()["matched_keys"])
    times = times[1:]  # warm-up
    return {"keys": count, "runs": len(times), "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3), "matched_keys": matched[-1]}  # fmt: skip


def bench_lookup_overhead(client, runs: int, count: int) -> dict:
    """What issue 11's lookup controls add to a /match of `count` keys, in-process (free of HTTP and load noise):
    normalising, the quota and pattern checks, the day counter, the keyed hashes and the COPY of the key rows."""
    from django.conf import settings
    from django.db import transaction

    from sharing.lookups import Lookup, check_request, check_result, hash_keys, log_keys
    from sharing.models import AccessLog

    keys = [person_id(n * 7) for n in range(count)]
    settings.SHARING_DAILY_KEY_QUOTA = 10**9  # as in serve(): the benchmark's client looks up far more than a day's
    totals, hashing = [], []
    for _ in range(runs + 1):
        started = time.perf_counter()
        with transaction.atomic():
            lookup = Lookup.of(keys)
            check_request(client, lookup)
            lookup.matched = set(lookup.keys[: count // 2])
            check_result(client, lookup)
            log = AccessLog.objects.create(client=client, endpoint="match", method="POST", records=0, status=200)
            log_keys(log, lookup)
        totals.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        hash_keys(keys)
        hashing.append((time.perf_counter() - started) * 1000)
    return {"keys": count, "runs": runs, "median_ms": round(statistics.median(totals[1:]), 1),
            "max_ms": round(max(totals[1:]), 1),
            "hashing_median_ms": round(statistics.median(hashing[1:]), 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="postgres:// URL of a scratch database (dropped!)")
    parser.add_argument("--prefill", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--match-runs", type=int, default=5)
    parser.add_argument("--match-keys", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run")
    args = parser.parse_args()
    setup_django(args.database, reuse=args.reuse)
    import requests
    from django.core.management import call_command
    from django.db import connection

    from basedb.models import Record
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from regions.loader import load_divisions
    from regions.models import Region
    from sharing.clients import create_client
    from sharing.models import ApiClient

    call_command("migrate", verbosity=0)
    subs = {}
    report = {"database": connection.vendor, "prefill": args.prefill}
    if not (args.reuse and Record.objects.unrestricted("benchmark").exists()):
        load_divisions()
        load_catalog()
        subs = {s.code: s for s in Subcategory.objects.filter(code__in=("P0101", "P0301"))}
        townships = sorted(Region.objects.townships().values_list("code", flat=True))
        report["prefill_seconds"] = round(prefill(args.prefill, townships, subs["P0101"].pk, subs["P0301"].pk), 1)
    subs = {s.code: s for s in Subcategory.objects.filter(code__in=("P0101", "P0301"))}
    townships = sorted(Region.objects.townships().values_list("code", flat=True))
    county_townships = [t for t in townships if t.startswith(COUNTY)]
    scope_people = [n for n in range(args.prefill) if townships[n % len(townships)].startswith(COUNTY)]
    name = f"benchmark-{ApiClient.objects.unrestricted('benchmark').count() + 1}"
    client, token = create_client(
        name=name,
        subcategories=list(subs.values()),
        region=COUNTY,
        max_sensitivity="internal",
        acting_user=None,
        rate_limit=1_000_000,
    )
    report["records_in_scope"] = len(scope_people)
    server = serve(args.database, args.port, args.workers)
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        base = f"http://127.0.0.1:{args.port}"
        max_id = Record.objects.unrestricted("benchmark").order_by("-id").values_list("id", flat=True).first()
        report["records_page"] = bench_records(session, base, args.requests, county_townships, max_id)
        report["match"] = bench_match(session, base, args.match_runs, args.match_keys, scope_people)
        report["lookup_overhead"] = bench_lookup_overhead(client, args.match_runs, args.match_keys)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report["workers"] = args.workers
    report |= machine_facts()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
