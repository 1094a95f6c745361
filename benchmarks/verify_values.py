"""Throughput of the value side (normalise + verify + dedup) on N generated P0101 rows, in chunks.

Usage: DATABASE_URL=sqlite:////tmp/bench.sqlite3 python benchmarks/verify_values.py [N] [CHUNK]
(migrates that database and loads the catalog first). Prints rows/s and peak memory of the process.
"""

import datetime
import os
import random
import resource
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
django.setup()

import pandas as pd  # noqa: E402
from django.core.management import call_command  # noqa: E402

from catalog.specs_build import build_table_spec  # noqa: E402
from collection.pipeline.idnumbers import ID_CHECK_CHARS, ID_WEIGHTS  # noqa: E402
from collection.pipeline.verify import InFileKeys, verify_chunk  # noqa: E402

AREAS = ["370602", "370611", "370612", "370613", "370681", "110101", "210224", "330113"]
SURNAMES, GIVEN = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def make_id(rng: random.Random, birth: datetime.date, odd: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if odd else 0)
    body = f"{rng.choice(AREAS)}{birth:%Y%m%d}{rng.randrange(10):d}{seq % 100:02d}"[:17]
    body = body[:16] + str((int(body[16]) // 2) * 2 + (1 if odd else 0))
    total = sum(int(c) * int(w) for c, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK_CHARS[total % 11]


def make_rows(n: int, seed: int = 1, first_row: int = 2) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30000))
        male = rng.random() < 0.5
        rows.append(
            {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "id_number": make_id(rng, birth, male),
                "sex": "男" if male else "女",
                "ethnicity": "汉族",
                "birth_date": birth.isoformat(),
                "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                "household_address": f"山东省烟台市芝罘区东山街道虹口路{rng.randrange(300)}号",
                "current_address": f"烟台山路{rng.randrange(300)}号{rng.randrange(1, 7)}单元{rng.randrange(900)}室",
                "relation_to_head": rng.choice(["户主", "配偶", "子", "女"]),
                "education": rng.choice(["大学本科", "高中", "初中", "小学"]),
                "marital_status": rng.choice(["已婚", "未婚"]),
                "political_status": rng.choice(["群众", "中共党员"]),
                "grid": f"东山街道第{rng.randrange(1, 20):02d}网格",
                "remarks": None,
                "_row": first_row + i,
            }
        )
    return pd.DataFrame(rows, dtype=object)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    call_command("migrate", verbosity=0)
    call_command("load_catalog", verbosity=0)
    spec = build_table_spec("P0101")
    headers = {item.key: item.name for item in spec.items}
    keys = InFileKeys()
    elapsed = cpu = 0.0
    valid = issues = 0
    for begin in range(0, n, chunk):
        raw = make_rows(min(chunk, n - begin), seed=begin, first_row=begin + 2)  # generated per chunk, not timed
        start, start_cpu = time.perf_counter(), time.process_time()
        result = verify_chunk(raw, spec, headers, keys=keys, today=datetime.date.today())
        elapsed += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        valid += int(result.frame["_valid"].sum())
        issues += len(result.issues)
        del raw, result
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} rows x {len(spec.items)} items in {elapsed:.2f} s (CPU {cpu:.2f} s) = {n / elapsed:,.0f} rows/s; "
          f"valid {valid}, "
          f"issues {issues}; peak RSS {peak:.0f} MB (chunk {chunk})")  # fmt: skip


if __name__ == "__main__":
    main()
