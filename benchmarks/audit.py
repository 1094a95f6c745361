"""Audit trail benchmark: the 操作记录 page and its xlsx export on N events (PostgreSQL only: the events are generated
with one INSERT ... SELECT generate_series).

Steps, on a freshly created database (dropped and recreated each run unless --reuse):
  prefill   the region tree, N events over the 159 townships (≈ N/159 each) and one year, 24 verbs in turn, an
            actor per township; ANALYZE.
  pages     the first page as the city administrator, as a county officer, searched by verb, by region, by actor
            (a substring of the user name), by object id, and page 100 of the city: median of --rounds runs each
  export    the export of the city's last 30 days (≈ N/12 events) and of --export-rows events at most: seconds,
            rows, file size, and the process's peak RSS growth (constant memory: it must not grow with the rows)

Usage (from the project root; the database is dropped and recreated):
    .venv/bin/python benchmarks/audit.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_audit
Options: --events 1000000 --rounds 5 --reuse. Prints one JSON object.
"""

import argparse
import io
import json
import platform
import resource
import statistics
import time

from common import setup_django

SQL = """
INSERT INTO regions_auditevent (created_at, actor_kind, actor_label, command, verb, object_type, object_id,
                                object_label, region_id, before, after, note)
SELECT now() - (n %% 365) * interval '1 day' - (n %% 86400) * interval '1 second',
       'user', 'collector_' || t.code, '', (ARRAY[{verbs}])[1 + n %% {nverbs}], 'collection.batch', n::text,
       '批次 ' || n || '（户籍.xlsx）', t.code, '{{"status": "pending_review"}}'::jsonb,
       '{{"status": "merged", "created": 100}}'::jsonb, ''
FROM generate_series(1, %s) AS n
JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS i FROM regions_region WHERE level = 'township') AS t
  ON t.i = n %% 159
"""


def prefill(events: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from regions.choices import AuditVerb
    from regions.loader import load_divisions

    call_command("migrate", verbosity=0)
    load_divisions()
    verbs = ", ".join(f"'{v}'" for v in AuditVerb.values)
    with connection.cursor() as cursor:
        cursor.execute(SQL.format(verbs=verbs, nverbs=len(AuditVerb.values)), [events])
        cursor.execute("ANALYZE regions_auditevent")


def users():
    from django.contrib.auth import get_user_model

    from regions.choices import Role
    from regions.models import RegionRole

    made = {}
    for name, role, region in (("bench_admin", Role.PLATFORM_ADMIN, "3706"), ("bench_officer", Role.OFFICER, "370602")):
        user, _ = get_user_model().objects.get_or_create(username=name)
        RegionRole.objects.get_or_create(user=user, region_id=region, role=role)
        made[name] = user
    return made


def timed(client, url: str, rounds: int) -> float:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return round(statistics.median(seconds), 3)


def export(client, url: str) -> dict:
    from openpyxl import load_workbook

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(url)
    body = b"".join(response.streaming_content)
    seconds = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    rows = load_workbook(io.BytesIO(body), read_only=True).active.max_row - 1
    return {"seconds": round(seconds, 2), "rows": rows, "mb": round(len(body) / 2**20, 1), "peak_rss_growth_mb":
            round(grown / 1024, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    setup_django(args.database, reuse=args.reuse)
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    started = time.perf_counter()
    if not args.reuse:
        prefill(args.events)
    prefill_seconds = round(time.perf_counter() - started, 1)
    people = users()
    admin, officer = Client(), Client()
    admin.force_login(people["bench_admin"])
    officer.force_login(people["bench_officer"])
    page = "/regions/audit/"
    pages = {
        "city_first_page": timed(admin, page, args.rounds),
        "county_officer_first_page": timed(officer, page, args.rounds),
        "by_verb": timed(admin, page + "?verb=approve", args.rounds),
        "by_township": timed(admin, page + "?region=370602002", args.rounds),
        "by_actor_substring": timed(admin, page + "?actor=370611", args.rounds),
        "by_object_id": timed(admin, page + "?object=123456", args.rounds),
        "city_page_100": timed(admin, page + "?page=100", args.rounds),
    }
    month = (timezone.localdate() - timedelta(days=29)).isoformat()
    result = {
        "events": args.events,
        "prefill_seconds": prefill_seconds,
        "pages_median_seconds": pages,
        "export_city_last_30_days": export(admin, f"/regions/audit/export/?date_from={month}"),
        "export_city_all_capped": export(admin, "/regions/audit/export/"),
        "machine": f"{platform.processor() or platform.machine()}, Python {platform.python_version()}",
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
