"""Intake benchmark (issue 4): generate N valid P0101 rows as .xlsx, then time, each in its own process so peak
memory is its own:

  fastexcel     fastexcel.read_excel(...).load_sheet(0) materialised as Arrow (the fastest plain read)
  openpyxl      pandas.read_excel(engine="openpyxl", dtype=str) (the obvious path; skip with --no-openpyxl)
  read          our guard + recognise + read_chunks (collection.pipeline.run), all cells as contract text
  process       read + normalise + verify (process_sheet), chunk by chunk
  cli           python manage.py import_workbook FILE --region 370602002 --subcategory P0101 --dry-run --json
                (process start included)

Usage (from the project root):
    .venv/bin/python benchmarks/intake.py [--rows 100000] [--file OUT.xlsx] [--no-openpyxl] [--keep] [--repeat 3]

Timing and memory are measured in separate runs: every kind runs --repeat times, round after round (so each round
sees the machine at the same speed), without any memory sampling; the medians and the median of the per-round
ratios are reported. Then `read`, `process` and `cli` run once more with the whole process tree's memory sampled
every 20 ms (reading /proc/PID/smaps_rollup costs CPU that would otherwise be counted against our own figures).
The CLI run needs a database with regions and the catalog; by default a fresh SQLite file is set up in a temporary
directory (migrate, load_regions, load_catalog). Pass --database-url to use another one.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import with_check_digit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HEADER = ["姓名", "公民身份号码", "性别", "民族", "出生日期", "联系电话", "户籍地址", "现住址", "与户主关系",
          "文化程度", "婚姻状况", "政治面貌", "所属网格", "备注"]  # fmt: skip
AREAS = ["370602", "370611", "370612", "370613", "370681", "370682", "370683", "370685", "370686", "370687"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫浩宇轩然博文"
ETHNIC = ["汉族"] * 9 + ["回族", "满族", "蒙古族"]
EDUCATION = ["小学", "初中", "高中", "大专", "本科", "研究生"]
MARITAL = ["未婚", "已婚", "离婚", "丧偶"]
POLITICAL = ["群众", "群众", "中共党员", "共青团员"]
RELATION = ["户主", "配偶", "子", "女", "父亲", "母亲"]
STREETS = ["东山路", "烟台山路", "海岸路", "三马路", "虹口路", "大海阳路", "解放路"]


def id_number(rng: random.Random, born: datetime.date, male: bool) -> str:
    order = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{rng.choice(AREAS)}{born:%Y%m%d}{order:03d}"
    return with_check_digit(body)


def generate(path: Path, rows: int, seed: int = 4) -> None:
    """N valid P0101 rows; unique IDs, dates as date cells, everything else text (shared strings, like Excel)."""
    import xlsxwriter

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": rows > 300_000})
    sheet = book.add_worksheet("户籍人口")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    seen: set[str] = set()
    for r in range(1, rows + 1):
        born = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30_000))
        male = rng.random() < 0.5
        number = id_number(rng, born, male)
        while number in seen:
            number = id_number(rng, born, male)
        seen.add(number)
        street = f"{rng.choice(STREETS)}{rng.randrange(1, 200)}号"
        values = [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]), number, "男" if male else "女",
                  rng.choice(ETHNIC), None, f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                  f"山东省烟台市芝罘区{street}", f"烟台市芝罘区东山街道{street}{rng.randrange(1, 7)}单元",
                  rng.choice(RELATION), rng.choice(EDUCATION), rng.choice(MARITAL), rng.choice(POLITICAL),
                  f"东山街道第{rng.randrange(1, 19):02d}网格", ""]  # fmt: skip
        for c, value in enumerate(values):
            if c == 4:
                sheet.write_datetime(r, c, datetime.datetime.combine(born, datetime.time()), date_format)
            elif value:
                sheet.write_string(r, c, value)
    book.close()


# ----------------------------------------------------------------------------- measurements (child processes)


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
    import django

    django.setup()


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class TreeMemory:
    """Peak memory of a process and all its descendants together (the forked reader included), sampled every
    20 ms as the sum of their PSS (proportional set size: pages shared after a fork are counted once, split
    between the processes), from /proc/PID/smaps_rollup. ru_maxrss cannot say this: it is per process."""

    def __init__(self, root: int):
        import threading

        self.root, self.peak_kib, self._stop = root, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024

    def _run(self) -> None:
        while True:
            self.peak_kib = max(self.peak_kib, sum(self._pss(pid) for pid in self._tree(self.root)))
            if self._stop.wait(0.02):
                return

    @staticmethod
    def _tree(root: int) -> list[int]:
        pids, todo = [], [root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo.extend(int(child) for child in children.read_text().split())
        return pids

    @staticmethod
    def _pss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0


class NoMemory:
    """Stands in for TreeMemory in timed runs: nothing sampled, peak from ru_maxrss only."""

    peak_mib = 0.0

    def __init__(self, root: int):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def measure(kind: str, path: Path, sample_memory: bool = False) -> dict:
    Memory = TreeMemory if sample_memory else NoMemory
    started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    rows = 0
    if kind == "fastexcel":
        import fastexcel

        sheet = fastexcel.read_excel(str(path)).load_sheet(0)
        sheet.__arrow_c_array__()  # materialise the Arrow data (no pyarrow needed)
        rows = sheet.height
    elif kind == "calamine":
        from python_calamine import CalamineWorkbook

        rows = sum(1 for _ in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()) - 1
    elif kind == "openpyxl":
        import pandas as pd

        rows = len(pd.read_excel(path, engine="openpyxl", dtype=str))
    elif kind in ("read", "process"):
        _django()
        from catalog.specs_build import current_specs
        from collection.pipeline.run import open_upload, process_sheet, read_chunks, recognise_tables

        specs = current_specs()
        started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)  # Django start is in the CLI figure only
        with Memory(os.getpid()) as memory:
            workbook = open_upload(path, path.name)
            [recognition] = recognise_tables(workbook, specs, "P0101")
            if kind == "read":
                rows = sum(len(frame) for frame in read_chunks(workbook, recognition))
            else:  # with the forked reader when the table is big (the CLI's default)
                chunks = process_sheet(workbook, recognition)
                rows = sum(chunk.rows for chunk in chunks)
        seconds = time.perf_counter() - started
        cpu = _cpu(resource.RUSAGE_SELF) - cpu + _cpu(resource.RUSAGE_CHILDREN)
        peak = max(memory.peak_mib, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return {"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mib": peak}
    elif kind == "cli":
        command = [PY, "manage.py", "import_workbook", str(path), "--region", "370602002", "--subcategory", "P0101",
                   "--dry-run", "--json"]  # fmt: skip
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with Memory(child.pid) as memory:
            stdout, stderr = child.communicate()
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            raise SystemExit(f"import_workbook exited {child.returncode}: {stderr[-400:]}")
        summary = json.loads(stdout)
        summary = summary[0] if isinstance(summary, list) else summary
        peak = max(memory.peak_mib, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        return {"seconds": seconds, "cpu": _cpu(resource.RUSAGE_CHILDREN), "rows": summary["rows"],
                "valid": summary["valid"], "peak_mib": peak}  # fmt: skip
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu": _cpu(resource.RUSAGE_SELF) - cpu, "rows": rows, "peak_mib": peak}


def run_child(kind: str, path: Path, env: dict, sample_memory: bool = False) -> dict:
    command = [PY, __file__, "--measure", kind, str(path), *(["--sample-memory"] if sample_memory else [])]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout)[-300:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- orchestration


def prepare_database(env: dict) -> None:
    for command in (["migrate", "--no-input", "-v0"], ["load_regions"], ["load_catalog", "-v0"]):
        subprocess.run([PY, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs ({model}), {ram:.0f} GiB RAM, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--file", type=Path, help="workbook to write (default: a temporary file)")
    parser.add_argument("--no-openpyxl", action="store_true", help="skip pandas+openpyxl (minutes at 1M rows)")
    parser.add_argument("--keep", action="store_true", help="keep the generated workbook and database")
    parser.add_argument("--reuse-file", action="store_true", help="use --file as it is when it exists (no generation)")
    parser.add_argument("--database-url", help="database for the CLI run (default: a fresh temporary SQLite)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (medians are reported)")
    parser.add_argument("--sample-memory", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("ROWS", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(Path(args.generate[1]), int(args.generate[0]))
        return 0
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]), args.sample_memory)))
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    path = args.file or tmp / f"p0101_{args.rows}.xlsx"
    env = dict(os.environ, DATABASE_URL=args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}")
    print(f"machine: {machine()}")
    started = time.perf_counter()
    if args.reuse_file and path.exists():
        print(f"reusing {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    else:
        # in a child: a forked child inherits its parent's peak RSS, which would floor every figure below
        subprocess.run([PY, __file__, "--generate", str(args.rows), str(path)], check=True)
        print(f"generated {args.rows:,} rows x {len(HEADER)} columns in {time.perf_counter() - started:.1f} s: "
              f"{path} ({path.stat().st_size / 2**20:.1f} MiB)")  # fmt: skip
    if not args.database_url:
        prepare_database(env)
    kinds = ["fastexcel", "calamine", *([] if args.no_openpyxl else ["openpyxl"]), "read", "process", "cli"]
    rounds = []
    for number in range(1, args.repeat + 1):
        results = {kind: run_child(kind, path, env) for kind in kinds}
        rounds.append(results)
        print(f"round {number}: " + ", ".join(_short(kind, r) for kind, r in results.items()))
    memory = {kind: run_child(kind, path, env, sample_memory=True) for kind in ("read", "process", "cli")}
    report(rounds, memory)
    if not args.keep:
        for leftover in tmp.iterdir():
            leftover.unlink()
        tmp.rmdir()
    return 0


def _short(kind: str, result: dict) -> str:
    return f"{kind} failed" if "error" in result else f"{kind} {result['seconds']:.2f} s"


def report(rounds: list[dict], memory: dict) -> None:
    """Per kind: median wall and CPU over the rounds, and peak memory from the sampled run; then the target ratios
    as the median of the per-round ratios (each round's figures were taken minutes apart at most)."""
    from statistics import median

    print("medians over", len(rounds), "rounds:")
    for kind in rounds[0]:
        done = [r[kind] for r in rounds if "seconds" in r[kind]]
        if not done:
            print(f"{kind:10s} failed: {rounds[0][kind].get('error')}")
            continue
        wall, cpu = median(r["seconds"] for r in done), median(r["cpu"] for r in done)
        peak = memory.get(kind, {}).get("peak_mib") or max(r["peak_mib"] for r in done)
        print(f"{kind:10s} {wall:7.2f} s wall (min {min(r['seconds'] for r in done):.2f}) {cpu:7.2f} s CPU "
              f"{done[0]['rows'] / wall:>10,.0f} rows/s  peak {peak:6.0f} MiB")  # fmt: skip
    for name, other, target in (
        ("fastexcel read", "fastexcel", "<= 1.5"),  # issue 16 (was <= 3, issue 4)
        ("pandas+openpyxl read", "openpyxl", "<= 0.2"),
    ):
        both = [r for r in rounds if "seconds" in r.get("cli", {}) and "seconds" in r.get(other, {})]
        pairs = [(r["cli"], r[other]) for r in both]
        if pairs:
            ratios = sorted(cli["seconds"] / base["seconds"] for cli, base in pairs)
            shown = ", ".join(f"{x:.2f}" for x in ratios)
            print(f"dry run / {name}: median {median(ratios):.2f} (rounds: {shown}) (target {target})")
    timed = [r for r in rounds if "seconds" in r.get("process", {}) and "seconds" in r.get("read", {})]
    if timed:
        extra = median(r["process"]["seconds"] - r["read"]["seconds"] for r in timed)
        rate = timed[0]["process"]["rows"] / max(extra, 1e-9)
        print(f"normalise+verify alone: {extra:.2f} s wall ({rate:,.0f} rows/s)")


if __name__ == "__main__":
    sys.exit(main())
