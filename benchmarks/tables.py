"""Data tables benchmark (数据表, issue 15 item 15): the list of tables, a table's first page (default order and
sorted by an item) and its xlsx export, for a collector whose township holds N records.

Steps, on a freshly created database (dropped and recreated each run unless --reuse):
  prefill   sample villages (10) and grids (3 each) of one township; N persons of it (entities and active P0101
            records COPY-loaded as benchmarks/reports.py does, ≈80% placed in a grid), ANALYZE
  list      GET /basedb/tables/ (the subcategories with their counts: one GROUP BY)
  page      GET /basedb/tables/P0101/ (first page of 50, with the drill-down by village) and ?sort=-grid
  export    GET /basedb/tables/P0101/export.xlsx, the whole streamed body read; its rows counted
Each page through Django's test client (middleware, session, templates, every query) as the township's collector:
one cold request, then --requests more (p50, p95, max) and the queries of one request; the export --exports times.

Usage (from the project root; the database is dropped and recreated):
    .venv/bin/python benchmarks/tables.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_tables
Options: --records 100000 --requests 20 --exports 3 --reuse. Prints one JSON object.
"""

import argparse
import io
import json
import statistics
import time
import zipfile
from pathlib import Path

from common import load_sibling, machine_facts, queries_of, setup_django, timings

HERE = Path(__file__).resolve().parent
TOWNSHIP = "370602002"  # 东山街道


def collector():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from regions.choices import Role
    from regions.models import RegionRole

    user, _ = get_user_model().objects.get_or_create(username="bench_table_collector")
    RegionRole.objects.get_or_create(user=user, region_id=TOWNSHIP, role=Role.COLLECTOR)
    client = Client()
    client.force_login(user)
    return client


def pages(client, requests: int, expected: int) -> dict:
    table = "/basedb/tables/P0101/"
    sent = {
        "list": lambda: client.get("/basedb/tables/"),
        "first_page": lambda: client.get(table),
        "sorted_page": lambda: client.get(table, {"sort": "-grid"}),  # an internal item: sortable
    }
    report = {name: timings(send, requests) | {"queries": queries_of(send)} for name, send in sent.items()}
    listed = client.get("/basedb/tables/").content.decode()
    report["list"]["counts_shown"] = f">{expected}<" in listed
    first = client.get(table).content.decode()
    report["first_page"]["total_shown"] = f"共 {expected} 条记录" in first
    return report


def export(client, rounds: int) -> dict:
    """The whole export read as a browser would (the streamed file); rows counted in the sheet's XML."""
    times, rows, size = [], 0, 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get("/basedb/tables/P0101/export.xlsx")
        body = b"".join(response.streaming_content)
        times.append(time.perf_counter() - started)
        size = len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        sheet = next(n for n in book.namelist() if n.startswith("xl/worksheets/"))
        rows = book.read(sheet).count(b"<row ")
    return {"seconds_first": round(times[0], 2), "seconds_median": round(statistics.median(times), 2),
            "seconds_max": round(max(times), 2), "rounds": rounds, "rows_with_header": rows,
            "megabytes": round(size / 1e6, 1)}  # fmt: skip


def run(size: int, database: str, requests: int, exports: int, reuse: bool) -> dict:
    setup_django(database, reuse=reuse)
    reports = load_sibling("reports")
    from django.core.management import call_command
    from django.db import connection

    from basedb.models import Record
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from regions.loader import load_divisions
    from regions.samples import generate_sample_villages

    call_command("migrate", verbosity=0)
    load_divisions()
    generate_sample_villages([TOWNSHIP], villages=reports.VILLAGES, grids=reports.GRIDS)
    load_catalog()
    report = {"database": connection.vendor, "records": size, "township": TOWNSHIP}
    if not (reuse and Record.objects.unrestricted("benchmark").count() >= size):
        subject = Subcategory.objects.get(code="P0101").pk
        report["prefill_seconds"] = round(reports.prefill(size, [TOWNSHIP], subject, True), 1)
    client = collector()
    report |= pages(client, requests, size)
    report["export"] = export(client, exports)
    report |= machine_facts()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch database (dropped!)")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page after a cold one")
    parser.add_argument("--exports", type=int, default=3, help="timed exports of the whole table")
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run")
    args = parser.parse_args()
    print(json.dumps(run(args.records, args.database, args.requests, args.exports, args.reuse), ensure_ascii=False,
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
