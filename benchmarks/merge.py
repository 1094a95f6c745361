"""Merge benchmark (issue 5): merge N new P0101 rows into a base database already holding M records, then merge
the same N rows again (all unchanged), next to a plain COPY of the same rows into an empty table.

Steps, on a freshly created database (dropped and recreated each run):
  prefill   M entities + M P0101 records + M create versions, bulk-loaded (COPY on PostgreSQL, executemany on
            SQLite), spread over all townships; then ANALYZE
  stage     a batch of township 370602002 with N valid staged rows (as intake leaves them)
  copy      the reference: COPY (PostgreSQL) / executemany (SQLite) of the same N (row, key, values) into an
            empty table with no index
  floor     what any merge must write at least: the same N rows as entities, records and create versions loaded
            straight into the real tables (real indexes, base's size), rolled back; no lookup, no logic
  merge     basedb.merge.merge_batch(batch) — all N rows are new
  remerge   a second batch with the same N rows in another order — all unchanged
Memory: the process's resident set size sampled every 20 ms during each timed step (peak, and at its start).

Usage (from the project root):
    .venv/bin/python benchmarks/merge.py --database postgres://postgres@127.0.0.1:5432/grassroots_bench_merge
    .venv/bin/python benchmarks/merge.py --database sqlite:////tmp/grassroots_bench_merge.sqlite3
Options: --prefill 1000000 --rows 100000 --chunk 25000 --rounds N (copy, floor and merge N times, each round of
new people, interleaved so each ratio is taken within one minute; medians). Prints one JSON object.
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time

from common import machine_facts, person_id, setup_django

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫浩宇轩然博文"
STREETS = ["东山路", "烟台山路", "海岸路", "三马路", "虹口路", "大海阳路", "解放路"]


def person(n: int, rng: random.Random) -> dict:
    street = rng.choice(STREETS)
    return {
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
        "id_number": person_id(n),
        "sex": "1" if n % 2 else "2",
        "ethnicity": "01",
        "birth_date": f"{1950 + n % 50:04d}-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "phone": f"13{n % 10**9:09d}",
        "household_address": f"芝罘区{street}{n % 300}号",
        "current_address": f"芝罘区{street}{n % 300}号{n % 6 + 1}单元",
        "relation_to_head": "02",
        "education": "20",
        "marital_status": "20",
        "political_status": "13",
        "grid": None,
        "remarks": None,
    }


class PeakRss:
    """Samples this process's resident set size every 20 ms while a step runs: `.peak_mb` is the highest RSS seen,
    `.start_mb` the RSS when the step began (the benchmark's own data, e.g. the generated rows, is in both)."""

    def __enter__(self):
        self.start = self.peak = self._rss()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.02)

    @property
    def peak_mb(self) -> float:
        return round(self.peak / 2**20, 1)

    @property
    def start_mb(self) -> float:
        return round(self.start / 2**20, 1)


def prefill(count: int, townships: list[str], subcategory_id: int, pg: bool) -> float:
    """count persons as entities, P0101 records and create versions; returns seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from collection.staging import insert_rows

    started, rng = time.perf_counter(), random.Random(5)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        entities = (("person", person_id(n), townships[n % len(townships)], f"人员{n}", now, now) for n in range(count))
        insert_rows(
            cursor,
            "basedb_entity",
            ("kind", "key", "region_id", "display_name", "created_at", "updated_at"),
            entities,
        )
        cursor.execute("SELECT MIN(id) FROM basedb_entity")
        first = cursor.fetchone()[0]
        records = (
            (first + n, subcategory_id, townships[n % len(townships)], townships[n % len(townships)],
             json.dumps(person(n, rng), ensure_ascii=False), "active", 1, now, now)
            for n in range(count)
        )  # fmt: skip
        insert_rows(cursor, "basedb_record", ("entity_id", "subcategory_id", "region_id", "place_id", '"values"',
                  "status", "version", "created_at", "updated_at"), records)  # fmt: skip
        cursor.execute(
            "INSERT INTO basedb_recordversion (record_id, version, action, changes, subcategory_id, region_id, note, "
            "created_at) SELECT id, 1, 'create', '{}', subcategory_id, region_id, '', created_at FROM basedb_record"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    settle(pg)
    return seconds


def stage_batch(region: str, subcategory, rows: list[tuple], pg: bool):
    """A batch awaiting review with one valid staged row per (row, key, values JSON)."""
    from django.db import connection, transaction

    from collection.choices import BatchStatus
    from collection.models import Batch
    from collection.staging import insert_rows

    with transaction.atomic():
        batch = Batch.objects.create(
            file="uploads/bench.xlsx",
            original_name="bench.xlsx",
            sha256="0" * 64,
            region_id=region,
            subcategory=subcategory,
            status=BatchStatus.PENDING_REVIEW,
            rows=len(rows),
            valid=len(rows),
        )
        with connection.cursor() as cursor:
            staged = ((batch.pk, row, values, key, True, 0, 0, "pending") for row, key, values in rows)
            columns = ("batch_id", "row", '"values"', "key", "is_valid", "errors", "warnings", "merge_state")
            insert_rows(cursor, "collection_stagedrow", columns, staged)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE collection_stagedrow" if pg else "ANALYZE")
    settle(pg)
    return batch


def settle(pg: bool) -> None:
    """Flush what the set-up wrote (PostgreSQL CHECKPOINT) so that no measurement pays for an earlier step's dirty
    pages: the prefill writes gigabytes of WAL, and a checkpoint falling inside a timed step doubles it."""
    if pg:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")


def plain_copy(rows: list[tuple], pg: bool) -> float:
    """The reference: the same rows loaded into an empty table without indexes, in one transaction."""
    from django.db import connection, transaction

    from collection.staging import insert_rows

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_plain")
        cursor.execute(f"CREATE TABLE bench_plain (row integer, key text, vals {'jsonb' if pg else 'text'})")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        insert_rows(cursor, "bench_plain", ("row", "key", "vals"), rows)
    return time.perf_counter() - started


def write_floor(rows: list[tuple], subcategory_id: int, region: str, pg: bool) -> float:
    """What any merge of these rows must write at least, with no lookup and no logic: the entities, the records
    (values as JSON) and their create versions (the same values), loaded into the real tables with their real
    indexes at the base's size, in one transaction that is rolled back. Compared with `copy`, it says how far the
    target ratio is reachable at all."""
    from django.db import connection, transaction
    from django.utils import timezone

    from collection.staging import insert_rows

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM basedb_entity")
        entity_floor = cursor.fetchone()[0]
        insert_rows(cursor, "basedb_entity", ("kind", "key", "region_id", "display_name", "created_at",
                  "updated_at"), (("person", key, region, "", now, now) for _row, key, _values in rows))  # fmt: skip
        cursor.execute("SELECT MIN(id) FROM basedb_entity WHERE id > %s", [entity_floor])
        first_entity = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM basedb_record")
        record_floor = cursor.fetchone()[0]
        insert_rows(cursor, "basedb_record", ("entity_id", "subcategory_id", "region_id", "place_id", '"values"',
                  "status", "version", "created_at", "updated_at"),
                  ((first_entity + n, subcategory_id, region, region, values, "active", 1, now, now)
                   for n, (_row, _key, values) in enumerate(rows)))  # fmt: skip
        cursor.execute("SELECT MIN(id) FROM basedb_record WHERE id > %s", [record_floor])
        first_record = cursor.fetchone()[0]
        insert_rows(cursor, "basedb_recordversion", ("record_id", "version", "action", "changes", "subcategory_id",
                  "region_id", "note", "created_at"),
                  ((first_record + n, 1, "create", values, subcategory_id, region, "", now)
                   for n, (_row, _key, values) in enumerate(rows)))  # fmt: skip
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    settle(pg)
    return seconds


# (module, function) of each step of a merge chunk: the statements in basedb.merge_sql, the conflicts in basedb.merge.
STEPS = (("merge_sql", "insert_entities"), ("merge_sql", "stage_chunk"), ("merge_sql", "fetch_existing"),
         ("merge_sql", "insert_records"), ("merge_sql", "insert_create_versions"), ("merge_sql", "apply_changes"),
         ("merge", "_record_conflicts"), ("merge_sql", "mark_staged"))  # fmt: skip


class StepTimer:
    """Seconds spent in each step function of basedb.merge during a merge (wraps them for the run only)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __enter__(self):
        import basedb.merge
        import basedb.merge_sql

        modules = {"merge": basedb.merge, "merge_sql": basedb.merge_sql}
        self.saved = {(modules[module], name): getattr(modules[module], name) for module, name in STEPS}
        for (module, name), function in self.saved.items():
            setattr(module, name, self._timed(name.lstrip("_"), function))
        return self

    def _timed(self, name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return timed

    def __exit__(self, *exc):
        for (module, name), function in self.saved.items():
            setattr(module, name, function)


def timed_merge(batch, chunk: int) -> dict:
    from basedb.merge import merge_batch

    with PeakRss() as rss, StepTimer() as steps:
        started = time.perf_counter()
        result = merge_batch(batch, acting_user=None, chunk_size=chunk)
        seconds = time.perf_counter() - started
    inside = sum(steps.seconds.values())
    return {"seconds": round(seconds, 2), "rows_per_s": round(batch.rows / seconds), "rss_start_mb": rss.start_mb,
            "rss_peak_mb": rss.peak_mb, **result.as_dict(),
            "steps": {name: round(s, 2) for name, s in steps.seconds.items()},
            "outside_steps": round(seconds - inside, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch database (dropped!)")
    parser.add_argument("--prefill", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=None, help="merge chunk size (default: settings.MERGE_CHUNK_ROWS)")
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run (tuning)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of copy, floor and merge, each of new rows")
    args = parser.parse_args()

    setup_django(args.database, reuse=args.reuse)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from regions.loader import load_divisions
    from regions.models import Region

    CHUNK_SIZE = settings.MERGE_CHUNK_ROWS

    pg = connection.vendor == "postgresql"
    call_command("migrate", verbosity=0)
    load_divisions()
    load_catalog()
    p0101 = Subcategory.objects.get(code="P0101")
    townships = sorted(Region.objects.townships().exclude(code="370602002").values_list("code", flat=True))
    report = {"database": connection.vendor, "prefill": args.prefill, "rows": args.rows,
              "chunk": args.chunk or CHUNK_SIZE}  # fmt: skip
    from basedb.models import Entity

    held = Entity.objects.unrestricted("benchmark").count()
    if not (args.reuse and held >= args.prefill):
        report["prefill_seconds"] = round(prefill(args.prefill, townships, p0101.pk, pg), 1)
        held = args.prefill
    report["records_before"] = held
    rounds = []
    for number in range(args.rounds):
        # Each round merges new people (the base grows by --rows per round), next to its own copy and floor.
        rng = random.Random(6 + number)
        new = [(i + 2, person_id(held + i), json.dumps(person(held + i, rng), ensure_ascii=False))
               for i in range(args.rows)]  # fmt: skip
        held += args.rows
        settle(pg)
        copy = plain_copy(new, pg)
        floor = write_floor(new, p0101.pk, "370602002", pg)
        batch = stage_batch("370602002", p0101, new, pg)
        merged = timed_merge(batch, args.chunk or CHUNK_SIZE)
        rounds.append({"copy_seconds": round(copy, 2), "write_floor_seconds": round(floor, 2), "merge": merged,
                       "merge_vs_floor": round(merged["seconds"] / max(floor, 0.01), 2)})  # fmt: skip
        print(json.dumps(rounds[-1]), file=sys.stderr, flush=True)
    report |= rounds[-1]
    copy = max(report["copy_seconds"], 0.01)  # a tiny smoke run's COPY rounds to 0
    report["write_floor_vs_copy"] = round(report["write_floor_seconds"] / copy, 2)
    report["merge_vs_copy"] = round(report["merge"]["seconds"] / copy, 2)
    if len(rounds) > 1:
        report["rounds"] = rounds
        report["median"] = {
            "copy_seconds": statistics.median(r["copy_seconds"] for r in rounds),
            "write_floor_seconds": statistics.median(r["write_floor_seconds"] for r in rounds),
            "merge_seconds": statistics.median(r["merge"]["seconds"] for r in rounds),
            "merge_vs_floor": round(statistics.median(r["merge_vs_floor"] for r in rounds), 2),
        }
    shuffled = random.Random(7).sample(new, len(new))
    again = stage_batch("370602002", p0101, [(i + 2, k, v) for i, (_r, k, v) in enumerate(shuffled)], pg)
    report["remerge"] = timed_merge(again, args.chunk or CHUNK_SIZE)
    report |= machine_facts()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
