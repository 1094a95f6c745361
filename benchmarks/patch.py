"""核对表 benchmark (issue 15 item 13): the pre-filled template of one township's N active P0101 records (the
20,134-row 核对表 took 22 s with nothing on screen), downloaded through the page, as its collector (clear values,
the download logged) and as a grid worker holding the township (masked values); target ≤ 3 s on PostgreSQL.

Steps, on a freshly created database (dropped and recreated each run unless --reuse):
  prefill   N persons of township 370602002 and --others more spread over the other townships: entities and active
            P0101 records with every item filled (benchmarks/merge.py's generator), bulk-loaded with intake's writer
            (COPY on PostgreSQL); ANALYZE, CHECKPOINT.
  download  GET /basedb/patch/?region=370602002&subcategory=P0101 through Django's test client (middleware,
            session, the form, export_patch_workbook, the response read to its end): one cold request, then --rounds
            timed ones; median and max, and the process's resident set size sampled every 20 ms (at the start of
            the step, before the cold request, and its peak). The file is opened with calamine once: its data
            rows must be the N records.

Usage (from the project root; the database is dropped and recreated):
    .venv/bin/python benchmarks/patch.py --database postgres://postgres@127.0.0.1:5432/gr_patch_bench
    .venv/bin/python benchmarks/patch.py --database sqlite:////tmp/gr_patch_bench.sqlite3
Options: --records 20134 --others 100000 --rounds 5 --reuse. Prints one JSON object.
"""

import argparse
import io
import json
import random
import statistics
import time

from common import machine_facts, person_id, setup_django
from merge import PeakRss, person, settle

TOWNSHIP = "370602002"


def prefill(records: int, others: int, townships: list[str], subcategory_id: int, pg: bool) -> float:
    """`records` persons of TOWNSHIP, then `others` spread over the other townships; returns seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from collection.staging import insert_rows

    started, rng = time.perf_counter(), random.Random(7)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    total = records + others

    def township(n: int) -> str:
        return TOWNSHIP if n < records else townships[n % len(townships)]

    with transaction.atomic(), connection.cursor() as cursor:
        entities = (("person", person_id(n), township(n), f"人员{n}", now, now) for n in range(total))
        insert_rows(cursor, "basedb_entity", ("kind", "key", "region_id", "display_name", "created_at",
                                              "updated_at"), entities)  # fmt: skip
        cursor.execute("SELECT MIN(id) FROM basedb_entity")
        first = cursor.fetchone()[0]
        rows = ((first + n, subcategory_id, township(n), township(n), json.dumps(person(n, rng), ensure_ascii=False),
                 "active", 1, now, now) for n in range(total))  # fmt: skip
        insert_rows(cursor, "basedb_record", ("entity_id", "subcategory_id", "region_id", "place_id", '"values"',
                                              "status", "version", "created_at", "updated_at"), rows)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    settle(pg)
    return time.perf_counter() - started


def data_rows(content: bytes, sheet: str) -> int:
    """The filled rows of the data sheet (a first cell, the name, below the header), read with calamine."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(sheet).to_python()
    return sum(1 for row in rows[1:] if row and row[0] not in ("", None))


def timed_downloads(user, rounds: int) -> dict:
    """One cold download, then `rounds` timed ones (seconds); the RSS before the first and the peak over all."""
    from django.test import Client

    client = Client()
    client.force_login(user)

    def download() -> bytes:
        response = client.get("/basedb/patch/", {"region": TOWNSHIP, "subcategory": "P0101"})
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"], response.status_code
        return b"".join(response.streaming_content) if response.streaming else response.content

    with PeakRss() as rss:
        started = time.perf_counter()
        content = download()
        cold = time.perf_counter() - started
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            download()
            times.append(time.perf_counter() - started)
    return {"cold_seconds": round(cold, 2), "median_seconds": round(statistics.median(times), 2),
            "max_seconds": round(max(times), 2), "rounds": rounds, "rss_start_mb": rss.start_mb,
            "rss_peak_mb": rss.peak_mb, "file_mb": round(len(content) / 2**20, 2), "content": content}  # fmt: skip


def user_with_role(username: str, role: str):
    from django.contrib.auth import get_user_model

    from regions.models import RegionRole

    user, _ = get_user_model().objects.get_or_create(username=username)
    RegionRole.objects.get_or_create(user=user, region_id=TOWNSHIP, role=role)
    return user


def run(records: int, others: int, database: str, rounds: int, reuse: bool) -> dict:
    setup_django(database, reuse=reuse)
    from django.core.management import call_command
    from django.db import connection

    from basedb.models import Record
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from catalog.specs_build import build_table_spec
    from catalog.templates_xlsx import table_sheet_title
    from regions.choices import Role
    from regions.loader import load_divisions
    from regions.models import Region

    pg = connection.vendor == "postgresql"
    call_command("migrate", verbosity=0)
    load_divisions()
    load_catalog()
    townships = sorted(Region.objects.townships().exclude(code=TOWNSHIP).values_list("code", flat=True))
    report = {"database": connection.vendor, "records": records, "others": others}
    held = Record.objects.unrestricted("benchmark").filter(region_id=TOWNSHIP).count()
    if not (reuse and held == records):
        p0101 = Subcategory.objects.get(code="P0101")
        report["prefill_seconds"] = round(prefill(records, others, townships, p0101.pk, pg), 1)
    report["load_average_before"] = machine_facts()["load_average"]
    sheet = table_sheet_title(build_table_spec("P0101"))
    users = {"collector": user_with_role("bench_patch_collector", Role.COLLECTOR),
             "grid_worker": user_with_role("bench_patch_grid", Role.GRID_WORKER)}  # fmt: skip
    for name, user in users.items():
        timed = timed_downloads(user, rounds)
        content = timed.pop("content")
        report[name] = {**timed, "rows_as_expected": data_rows(content, sheet) == records}
    report |= machine_facts()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch database (dropped!)")
    parser.add_argument("--records", type=int, default=20_134, help="active P0101 records of the township")
    parser.add_argument("--others", type=int, default=100_000, help="records of the other townships")
    parser.add_argument("--rounds", type=int, default=5, help="timed downloads after the first (cold) one")
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run")
    args = parser.parse_args()
    print(json.dumps(run(args.records, args.others, args.database, args.rounds, args.reuse), ensure_ascii=False,
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
