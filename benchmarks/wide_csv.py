"""A CSV of many columns and few rows (issue 15 item 16: 9,000 columns, 4 rows took 11 s): time reading it.

  read      guard + open + recognise (the header matched against every table of the catalog) + read the rows
  process   read + normalise + verify (collection.pipeline.run.process_sheet)
  cli       python manage.py import_workbook FILE --region 370602002 --dry-run --json (process start included)

The file: the 8 columns of 户籍人口 P0101 first, then columns 备用1…备用N the catalog does not know, every row
filled. Usage (from the project root):

    .venv/bin/python benchmarks/wide_csv.py [--columns 9000] [--rows 4] [--repeat 5]

A fresh SQLite database in a temporary folder holds the regions and the catalog (migrate, load_regions,
load_catalog); medians of --repeat rounds are printed as JSON.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, person_id, setup_django

PY = sys.executable
HEADER = ["姓名", "公民身份号码", "性别", "民族", "出生日期", "联系电话", "户籍地址", "现住址"]


def write_csv(path: Path, columns: int, rows: int) -> None:
    extra = columns - len(HEADER)
    lines = [",".join(HEADER + [f"备用{i + 1}" for i in range(extra)])]
    for n in range(rows):
        row = ["王鸣", person_id(n), "男", "汉族", "", f"1380000{n:04d}", "", "烟台市芝罘区"]
        lines.append(",".join(row + [f"值{i}" for i in range(extra)]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_once(path: Path, specs: dict, verify: bool) -> float:
    from collection.pipeline import run

    started = time.perf_counter()
    workbook = run.open_upload(path, path.name)
    for recognition in run.recognise_tables(workbook, specs):
        if verify:
            sum(len(chunk.frame) for chunk in run.process_sheet(workbook, recognition, parallel=False))
        else:
            sum(len(frame) for frame in run.read_chunks(workbook, recognition))
    return time.perf_counter() - started


def cli_once(path: Path, env: dict) -> float:
    command = [PY, "manage.py", "import_workbook", str(path), "--region", "370602002", "--dry-run", "--json"]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=9000)
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wide-csv-") as folder:
        database = f"sqlite:///{folder}/bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": database}
        for command in (["migrate", "--no-input", "-v0"], ["load_regions"], ["load_catalog", "-v0"]):
            subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
        setup_django(database, reuse=True)
        from catalog.specs_build import current_specs

        specs = current_specs()
        path = Path(folder) / "wide.csv"
        write_csv(path, args.columns, args.rows)
        size = path.stat().st_size
        read_once(path, specs, verify=True)  # warm: the catalog's header names are cached after the first match
        times = {"read": [], "process": [], "cli": []}
        for _ in range(args.repeat):
            times["read"].append(read_once(path, specs, verify=False))
            times["process"].append(read_once(path, specs, verify=True))
            times["cli"].append(cli_once(path, env))
    result = {
        "columns": args.columns,
        "rows": args.rows,
        "bytes": size,
        **{f"{kind}_s": round(statistics.median(values), 3) for kind, values in times.items()},
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
