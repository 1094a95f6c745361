"""Upload to merged, end to end (issue 16 part 3): a 100,000-row P0101 workbook uploaded through the API with a
token, verified by a real background worker process, approved by a data officer, merged by the worker; the clock
runs from the upload request to the moment the API reports the batch 已入库. Target on PostgreSQL: ≤ 10 s.

Steps, on a freshly created database (dropped and recreated unless --reuse):
  prefill   N persons (entities, P0101 records, create versions; benchmarks/merge.py's COPY prefill) spread over
            the other townships, VACUUM ANALYZE, CHECKPOINT
  users     a collector of township 370602002 with an API token, a data officer of county 370602
  servers   gunicorn (grassroots.wsgi, 2 workers) on 127.0.0.1 and one `manage.py worker` (db_worker, as `serve`
            starts it: the default polling interval of 1 s when the queue is empty)
  rounds    each round a new workbook of ROWS new people (benchmarks/intake.py's generator, another seed):
              upload    POST /api/v1/batches/ (multipart, Token auth): the batch is stored and queued
              verified  GET /api/v1/batches/{id}/ every 50 ms until 待审核 (the worker verified it)
              approve   collection.review.approve_batch(background=True), what the review page's 审核通过 calls:
                        the batch is 入库中 and its merge queued
              merged    polled again until 已入库 (the worker merged it)
            seconds of each phase and of the whole; the merge's own seconds (MergeRun.seconds)

Usage (from the project root):
    .venv/bin/python benchmarks/end_to_end.py --database postgres://postgres@127.0.0.1:5432/gr_bench_e2e
Options: --prefill 1000000 --rows 100000 --rounds 3 --workers 1 --reuse. Prints one JSON object (medians and
every round).
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, machine_facts, setup_django

TOWNSHIP, COUNTY = "370602002", "370602"
POLL = 0.05


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def users() -> tuple[object, object, str]:
    """The collector (with a fresh API token) and the officer."""
    from django.contrib.auth import get_user_model

    from regions.choices import Role
    from regions.models import RegionRole
    from regions.tokens import issue_user_token

    model = get_user_model()
    collector, _ = model.objects.get_or_create(username="bench_collector")
    officer, _ = model.objects.get_or_create(username="bench_officer")
    RegionRole.objects.get_or_create(user=collector, region_id=TOWNSHIP, role=Role.COLLECTOR)
    RegionRole.objects.get_or_create(user=officer, region_id=COUNTY, role=Role.OFFICER)
    _token, raw = issue_user_token(collector, "end_to_end benchmark")
    return collector, officer, raw


def start(command: list[str], database: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database, "DB_CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wait_for(session, url: str, wanted: set[str], limit: float = 600) -> dict:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        body = session.get(url, timeout=30).json()
        if body["status"] in wanted:
            return body
        time.sleep(POLL)
    raise SystemExit(f"{url}: still {body['status']} after {limit} s")


def one_round(session, base: str, path: Path, officer) -> dict:
    """Upload, verification, approval and merge of one workbook; seconds per phase."""
    from basedb.models import MergeRun
    from collection.models import Batch
    from collection.review import approve_batch

    started = time.perf_counter()
    with path.open("rb") as handle:
        answer = session.post(f"{base}/api/v1/batches/", files={"file": (path.name, handle)},
                              data={"region": TOWNSHIP, "subcategory": "P0101"}, timeout=120)  # fmt: skip
    if answer.status_code != 201:
        raise SystemExit(f"upload refused: {answer.status_code} {answer.text[:300]}")
    uploaded = time.perf_counter()
    url = f"{base}/api/v1/batches/{answer.json()['id']}/"
    verified = wait_for(session, url, {"pending_review", "needs_fix", "failed", "rejected"})
    if verified["status"] != "pending_review":
        raise SystemExit(f"verification ended {verified['status']}: {verified}")
    checked = time.perf_counter()
    batch = Batch.objects.unrestricted("benchmark: the uploaded batch").get(pk=verified["id"])
    approve_batch(batch, acting_user=officer, background=True)
    approved = time.perf_counter()
    merged = wait_for(session, url, {"merged", "failed"})
    done = time.perf_counter()
    if merged["status"] != "merged":
        raise SystemExit(f"merge ended {merged['status']}: {merged}")
    run = MergeRun.objects.unrestricted("benchmark: the batch's merge").get(batch_id=batch.pk)
    return {
        "seconds": round(done - started, 2), "upload": round(uploaded - started, 2),
        "verification": round(checked - uploaded, 2), "approval": round(approved - checked, 2),
        "merge": round(done - approved, 2), "merge_run_seconds": round(run.seconds or 0, 2),
        "rows": verified["rows"], "created": run.created, "updated": run.updated,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="DATABASE_URL of a scratch PostgreSQL database (dropped!)")
    parser.add_argument("--prefill", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--workers", type=int, default=1, help="background worker processes (serve starts one)")
    parser.add_argument("--workdir", default="/tmp/bench_end_to_end", help="where the workbooks are written")
    parser.add_argument("--reuse", action="store_true", help="keep a database prefilled by an earlier run")
    args = parser.parse_args()

    setup_django(args.database, reuse=args.reuse)
    import requests
    from django.core.management import call_command
    from django.db import connection

    from basedb.models import Entity
    from catalog.loader import load_catalog
    from catalog.models import Subcategory
    from regions.loader import load_divisions
    from regions.models import Region

    bench_merge, bench_intake = _load("merge"), _load("intake")
    call_command("migrate", verbosity=0)
    load_divisions()
    load_catalog()
    report = {"database": connection.vendor, "prefill": args.prefill, "rows": args.rows, "workers": args.workers}
    if Entity.objects.unrestricted("benchmark").count() < args.prefill:
        townships = sorted(Region.objects.townships().exclude(code=TOWNSHIP).values_list("code", flat=True))
        p0101 = Subcategory.objects.get(code="P0101").pk
        report["prefill_seconds"] = round(bench_merge.prefill(args.prefill, townships, p0101, True), 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    _collector, officer, token = users()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    books = []
    for n in range(args.rounds):
        path = workdir / f"p0101_{args.rows}_{n}.xlsx"
        if not path.exists():
            bench_intake.generate(path, args.rows, seed=100 + n + int(time.time()) % 10_000)
        books.append(path)
    bench_merge.settle(True)

    base = f"http://127.0.0.1:{args.port}"
    gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "grassroots.wsgi", "-b", f"127.0.0.1:{args.port}", "-w", "2",
                "--timeout", "300", "--log-level", "warning"]  # fmt: skip
    server = start(gunicorn, args.database)
    workers = [start([sys.executable, "manage.py", "worker", "--name", f"bench-e2e-{n}"], args.database)
               for n in range(args.workers)]  # fmt: skip
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        for _ in range(150):
            try:
                session.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        rounds = []
        for path in books:
            rounds.append(one_round(session, base, path, officer))
            print(json.dumps(rounds[-1]), file=sys.stderr, flush=True)
            path.unlink()  # a workbook is used once: its people are in the base now
            bench_merge.settle(True)
    finally:
        for process in (server, *workers):
            process.terminate()
        for process in (server, *workers):
            process.wait(30)
    report["rounds"] = rounds
    report["median"] = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    report |= machine_facts()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
