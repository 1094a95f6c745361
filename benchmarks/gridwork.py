"""Grid work benchmark (issue 14): the grid page of a grid worker (≤ 200 ms p95) on a base database of N placed
persons, and the placement of a 100,000-row batch (≤ 5 s).

Steps, on the database of benchmarks/reports.py (its prefill is reused: sample villages, 10 per township, 3 grids
each, N persons spread over them, ≈80% placed in a grid; dropped and recreated each run unless --reuse):
  grid page   a grid worker of one grid (≈170 persons at 1,000,000) GETs /grid/areas/<grid>/ through Django's test
              client (middleware, session, templates, every query): one cold request, then --requests more; p50,
              p95, max and the queries of one request. The same for the search (POST) and a person's card.
  placement   100,000 rows of one township whose grid cells are written as people write them (the grid's code, its
              full name, its name in the township, 第N网格 with the village in the address, no grid with the village
              in the address; 1% name another township's grid): `Placer.place` cold (indexes read) and warm, and
              intake's `RowPlacer.apply` on the same rows as one verified chunk (places + warnings); every place is
              checked against the generator.
  re-place    `place_records` of one county (all its records placed again from their items, as after a change of
              the region tree), with its record count.

Usage (from the project root):
    .venv/bin/python benchmarks/gridwork.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_reports
Options: --persons 1000000 --requests 50 --rows 100000 --reuse. Prints one JSON object.
"""

import argparse
import json
import time
from pathlib import Path

from common import load_sibling, machine_facts, queries_of, setup_django, timings

HERE = Path(__file__).resolve().parent


def grid_pages(grid: str, requests: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from basedb.models import Entity, Record
    from regions.choices import Role
    from regions.models import RegionRole

    user, _ = get_user_model().objects.get_or_create(username="bench_grid_worker")
    RegionRole.objects.get_or_create(user=user, region_id=grid, role=Role.GRID_WORKER)
    client = Client()
    client.force_login(user)
    persons = (
        Record.objects.unrestricted("benchmark: the grid's records").filter(place_id=grid, status="active").count()
    )
    entity = Entity.objects.unrestricted("benchmark: a person of the grid").filter(records__place_id=grid).first()
    pages = {
        "grid_page": lambda: client.get(f"/grid/areas/{grid}/"),
        "search_by_name": lambda: client.post(f"/grid/areas/{grid}/search/", {"q": entity.display_name}),
        "search_by_id": lambda: client.post(f"/grid/areas/{grid}/search/", {"q": entity.key}),
        "card": lambda: client.get(f"/grid/entities/{entity.public_id}/"),
    }
    report = {"grid": grid, "persons_in_grid": persons}
    for name, send in pages.items():
        report[name] = timings(send, requests) | {"queries": queries_of(send)}
    return report


def batch_rows(township: str, other: str, villages: int, grids: int, size: int):
    """(grid texts, addresses, expected places) of `size` rows of `township` written in the five usual forms."""
    from regions.models import Region

    names = dict(Region.objects.filter(code__startswith=township).values_list("code", "name"))
    foreign = Region.objects.get(code=f"{other}901001").name
    grid_texts, addresses, expected = [], [], []
    for n in range(size):
        village = f"{township}{901 + n % villages:03d}"
        number = 1 + (n // villages) % grids
        grid = f"{village}{number:03d}"
        short = names[village].removeprefix(names[township])
        form = n % 5
        if n % 100 == 99:  # another township's grid: a warning, the row stays in its township
            grid_texts.append(foreign)
            addresses.append(f"幸福路{n % 300}号")
            expected.append(township)
            continue
        text = (grid, names[grid], f"{short}第{number}网格", f"第{number}网格", "")[form]
        grid_texts.append(text)
        addresses.append(f"{names[village]}幸福路{n % 300}号" if form >= 3 else f"幸福路{n % 300}号")
        expected.append(village if form == 4 else grid)
    return grid_texts, addresses, expected


def placement(township: str, other: str, villages: int, grids: int, size: int) -> dict:
    import numpy as np
    import pandas as pd

    from catalog.specs_build import current_specs
    from collection.pipeline.types import VerifiedChunk
    from collection.placing import RowPlacer
    from regions.placement import Placer

    grid_texts, addresses, expected = batch_rows(township, other, villages, grids, size)
    placer = Placer()
    started = time.perf_counter()
    cold = placer.place(township, grid_texts, [addresses])
    cold_seconds = time.perf_counter() - started
    started = time.perf_counter()
    warm = placer.place(township, grid_texts, [addresses])
    warm_seconds = time.perf_counter() - started
    frame = pd.DataFrame({"grid": grid_texts, "current_address": addresses, "_row": np.arange(2, size + 2),
                          "_valid": np.ones(size, dtype=bool)})  # fmt: skip
    chunk = VerifiedChunk(frame=frame, issues=[], corrections=[], correction_counts={})
    started = time.perf_counter()
    applied = RowPlacer(current_specs()["P0101"], township).apply(chunk)
    apply_seconds = time.perf_counter() - started
    return {"rows": size, "township": township, "place_cold_seconds": round(cold_seconds, 3),
            "place_warm_seconds": round(warm_seconds, 3), "row_placer_seconds": round(apply_seconds, 3),
            "warnings": len(applied.issues), "as_expected": same(expected, cold, warm, applied)}  # fmt: skip


def same(expected: list, cold, warm, applied) -> bool:
    return list(cold.places) == expected == list(warm.places) == list(applied.frame["_place"])


def replace_county(county: str) -> dict:
    from basedb.models import Record
    from basedb.placement import place_records
    from regions.models import prefix_bounds

    low, high = prefix_bounds(county)
    count = (
        Record.objects.unrestricted("benchmark: the county's records")
        .filter(region_id__gte=low, region_id__lt=high)
        .count()
    )
    started = time.perf_counter()
    report = place_records(county)
    return {"county": county, "records": count, "seconds": round(time.perf_counter() - started, 2),
            "changed": report.changed}  # fmt: skip


def run(size: int, database: str, requests: int, rows: int, reuse: bool) -> dict:
    setup_django(database, reuse=reuse)
    reports = load_sibling("reports")
    from django.core.management import call_command
    from django.db import connection

    from basedb.models import Entity
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from regions.loader import load_divisions
    from regions.models import Region
    from regions.samples import generate_sample_villages

    call_command("migrate", verbosity=0)
    load_divisions()
    townships = sorted(Region.objects.townships().values_list("code", flat=True))
    generate_sample_villages(townships, villages=reports.VILLAGES, grids=reports.GRIDS)
    load_catalog()
    report = {"database": connection.vendor, "persons": size}
    if not (reuse and Entity.objects.count() >= size):
        subject = Subcategory.objects.get(code="P0101").pk
        report["prefill_seconds"] = round(reports.prefill(size, townships, subject, True), 1)
    report |= grid_pages(f"{townships[0]}901001", requests)
    report["placement"] = placement(townships[0], townships[1], reports.VILLAGES, reports.GRIDS, rows)
    report["re_place"] = replace_county(townships[0][:6])
    report |= machine_facts()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch database (dropped!)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page after a cold one")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the placed batch")
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run")
    args = parser.parse_args()
    print(json.dumps(run(args.persons, args.database, args.requests, args.rows, args.reuse), ensure_ascii=False,
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
