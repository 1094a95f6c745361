"""Reports benchmark (issue 14, 一表通): `population_overview` filled for the whole city (rows = its 13 counties) and
for one township (rows = its villages) on a base database of N placed persons; target ≤ 2 s each at 1,000,000.

Steps, on a freshly created database (dropped and recreated each run unless --reuse):
  prefill   sample villages (10 per township) and grids (3 per village) for all 159 townships; N persons spread
            over them (entities and active P0101 records COPY-loaded with intake's bulk writer): ages 0–99 evenly,
            ≈5% without a birth date (the age comes from the ID number), the `grid` item naming the grid for ≈80%,
            the village for ≈15%, nothing for ≈5%; records carry their placement (grid, village or township) when
            basedb's Record has a `place` column, else their township. ANALYZE, CHECKPOINT.
  city      fill_report(population_overview, 3706): first run (cold) and the median of 3 more
  township  fill_report(population_overview, <the first township>): the same
  cell      the drill-down of one number of the township (its count and its first page of 50 records)
Every figure is checked against the counts that follow from the generator (`as_expected`).

Usage (from the project root; the database is dropped and recreated):
    .venv/bin/python benchmarks/reports.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_reports
Options: --persons 1000000 --rounds 3 --reuse. Prints one JSON object.
"""

import argparse
import json
import statistics
import time
from datetime import date

from common import machine_facts, setup_django, with_check_digit

AS_OF = date(2026, 3, 31)
VILLAGES, GRIDS = 10, 3
COLUMNS = ("total", "male", "female", "age_60_plus", "age_80_plus")


def born(n: int) -> str:
    """Person n's birth date: years 1927–2026 in turn, so every age 0–99 is as common."""
    return f"{1927 + n % 100:04d}-{1 + n % 12:02d}-{1 + n % 28:02d}"


def id_number(n: int) -> str:
    return with_check_digit(f"3{n // 1000:05d}{born(n).replace('-', '')}{n % 1000:03d}")


def place_of(n: int, township: str) -> str:
    """≈80% at a grid, ≈15% at a village, ≈5% only at the township (sample codes: village 9xx, grid 00x)."""
    village = f"{township}{900 + 1 + (n // 159) % VILLAGES:03d}"
    if n % 20 == 19:
        return township
    if n % 20 >= 16:
        return village
    return f"{village}{1 + (n // 1590) % GRIDS:03d}"


def age(n: int) -> int:
    year, month, day = (int(p) for p in born(n).split("-"))
    return AS_OF.year - year - ((AS_OF.month, AS_OF.day) < (month, day))


def values(n: int, place: str) -> str:
    data = {"name": f"人员{n}", "id_number": id_number(n), "sex": "1" if n % 2 else "2",
            "current_address": f"东山路{n % 300}号"}  # fmt: skip
    if n % 20 != 7:
        data["birth_date"] = born(n)
    if len(place) > 9:
        data["grid"] = place  # a collector wrote the grid's (or village's) code
    return json.dumps(data, ensure_ascii=False)


def prefill(size: int, townships: list[str], subject_id: int, placed: bool) -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    from collection.staging import insert_rows

    started = time.perf_counter()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        entities = (("person", id_number(n), townships[n % len(townships)], f"人员{n}", now, now) for n in range(size))
        insert_rows(cursor, "basedb_entity", ("kind", "key", "region_id", "display_name", "created_at",
                                              "updated_at"), entities)  # fmt: skip
        cursor.execute("SELECT MIN(id) FROM basedb_entity")
        first = cursor.fetchone()[0]
        columns = ["entity_id", "subcategory_id", "region_id", '"values"', "status", "version", "created_at",
                   "updated_at"]  # fmt: skip
        if placed:
            columns.append("place_id")

        def record(n: int) -> tuple:
            township = townships[n % len(townships)]
            place = place_of(n, township)
            row = (first + n, subject_id, township, values(n, place), "active", 1, now, now)
            return (*row, place) if placed else row

        insert_rows(cursor, "basedb_record", columns, (record(n) for n in range(size)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "postgresql":
            cursor.execute("CHECKPOINT")
    return time.perf_counter() - started


def expected(size: int, townships: list[str], region: str, child_length: int, placed: bool) -> dict:
    """{row key (None: leftover) or "total": the five figures} that follow from the generator."""
    figures: dict = {}
    for n in range(size):
        township = townships[n % len(townships)]
        place = place_of(n, township) if placed else township
        if not place.startswith(region):
            continue
        key = place[:child_length] if len(place) >= child_length else None
        a = age(n)
        row = (1, n % 2, 1 - n % 2, int(a >= 60), int(a >= 80))
        for k in (key, "total"):
            figures[k] = tuple(x + y for x, y in zip(figures.get(k, (0,) * 5), row, strict=True))
    return figures


def timed_fill(definition, region, rounds: int) -> dict:
    from reports.filling import fill_report

    times, report = [], None
    for _ in range(rounds + 1):
        started = time.perf_counter()
        report = fill_report(definition, region, AS_OF)
        times.append(time.perf_counter() - started)
    return {"rows": len(report.rows), "cold_seconds": round(times[0], 3),
            "median_seconds": round(statistics.median(times[1:]), 3), "max_seconds": round(max(times[1:]), 3),
            "report": report}  # fmt: skip


def matches(report, figures: dict) -> bool:
    got = {row.key: tuple(row.values[c] for c in COLUMNS) for row in report.rows}
    got["total"] = tuple(report.total.values[c] for c in COLUMNS)
    return all(got.get(k, (0,) * 5) == v for k, v in figures.items()) and all(
        v == (0,) * 5 for k, v in got.items() if k not in figures
    )


def run(size: int, database: str, rounds: int, reuse: bool) -> dict:
    setup_django(database, reuse=reuse)
    from django.core.management import call_command
    from django.db import connection

    from basedb.models import Entity, Record
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from regions.loader import load_divisions
    from regions.models import Region
    from regions.samples import generate_sample_villages
    from reports.drilldown import cell_records
    from reports.filling import PLACE, child_length
    from reports.formbook import definition_of
    from reports.loader import load_reports
    from reports.models import ReportForm

    placed = PLACE == "place_id" and any(f.name == "place" for f in Record._meta.fields)
    call_command("migrate", verbosity=0)
    load_divisions()
    townships = sorted(Region.objects.townships().values_list("code", flat=True))
    generate_sample_villages(townships, villages=VILLAGES, grids=GRIDS)
    load_catalog()
    load_reports()
    report = {"database": connection.vendor, "persons": size, "as_of": AS_OF.isoformat(), "placed": placed,
              "place_column": PLACE}  # fmt: skip
    if not (reuse and Entity.objects.unrestricted("benchmark").count() >= size):
        report["prefill_seconds"] = round(prefill(size, townships, Subcategory.objects.get(code="P0101").pk, placed), 1)
    definition = definition_of(ReportForm.objects.get(code="population_overview"))
    for name, code in (("city", "3706"), ("township", townships[0])):
        region = Region.objects.get(code=code)
        timed = timed_fill(definition, region, rounds)
        filled = timed.pop("report")
        figures = expected(size, townships, code, child_length(region), placed)
        report[name] = {"region": code, **timed, "as_expected": matches(filled, figures),
                        "total": filled.total.values}  # fmt: skip
    region = Region.objects.get(code=townships[0])
    started = time.perf_counter()
    records = cell_records(definition, region, AS_OF, "age_80_plus", "total")
    count, first_page = records.count(), len(list(records.order_by("id")[:50]))
    report["cell"] = {"count": count, "page": first_page, "seconds": round(time.perf_counter() - started, 3)}
    report |= machine_facts()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch database (dropped!)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed fills after the first (cold) one")
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run")
    args = parser.parse_args()
    print(json.dumps(run(args.persons, args.database, args.rounds, args.reuse), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
