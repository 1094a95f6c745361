"""Resume benchmark (issue 11, "Done when"): kill -9 of the worker during a 300,000-row verification and again during
its merge, under `manage.py serve`; the site must keep serving and the batch finish by itself, within two minutes of
the worker's return, with exactly what an uninterrupted run stores.

Steps, on a freshly created PostgreSQL database (dropped at the end unless --keep):
  generate      N valid P0101 rows as .xlsx (benchmarks/intake.py's generator)
  reference     the uninterrupted run, in this process: verify and merge the file inline, record what it stored
                (counts, a digest of the staged rows and issues, base-database rows), then roll it all back
  serve         `manage.py serve` (gunicorn, 2 workers, and its supervised `manage.py worker`), production settings
                (BATCH_LEASE_SECONDS and chunk sizes at their defaults unless given); /healthz polled every 0.5 s
                from start to end (a request failing or taking over 5 s counts as not answering)
  verification  the file is stored as a batch and queued; once a third of its rows are stored, the worker (the
                process `serve` supervises, not its group) gets SIGKILL; serve restarts it; timed: kill -> the
                worker's return -> the batch verified (status written and lease given back)
  merge         the batch is approved (merged by the worker); once a third of its rows are merged, SIGKILL again;
                timed the same way until 已入库
  compare       counts, digests and base-database rows against the reference; processes left by the killed worker

Usage (from the project root):
    .venv/bin/python benchmarks/resume.py --database postgres://postgres@127.0.0.1:5432/gr_trust_ops
Options: --rows 300000 --port 8765 --lease SECONDS --keep --file OUT.xlsx (reused when it exists).
Prints one JSON object.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import ROOT, setup_django

from tests.processes import alive, children_of

PY = sys.executable
TOWNSHIP = "370602002"


class Health(threading.Thread):
    """Polls /healthz every 0.5 s; keeps (seconds since start, status or error, latency)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.samples, self.stop = url, [], threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310 (a local URL)
                    outcome = response.status
            except Exception as exc:
                outcome = type(exc).__name__
            self.samples.append((round(began - self.started, 2), outcome, time.monotonic() - began))
            self.stop.wait(max(0.0, 0.5 - (time.monotonic() - began)))

    def summary(self, since: float = 0.0) -> dict:
        seen = [s for s in self.samples if s[0] >= since]
        latencies = sorted(s[2] for s in seen)
        failed = [s for s in seen if s[1] != 200]
        return {
            "requests": len(seen),
            "not_answered": len(failed),
            "first_failures": failed[:5],
            "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1) if latencies else None,
            "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        }


def worker_of(serve_pid: int) -> int | None:
    for pid in children_of(serve_pid):
        try:
            line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "manage.py worker" in line and alive(pid):
            return pid
    return None


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    raise SystemExit(f"{what}: not within {timeout} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- what a run stored ---------------------------------------------------------------------------------------------


def stored_state(batch_id: int) -> dict:
    """Counts, digests of the staged rows and issues, and the base database's rows: what 'exactly the same' means."""
    from basedb.models import Entity, Record, RecordVersion
    from collection.models import Batch, BatchIssue, StagedRow

    batch = Batch.objects.unrestricted("benchmark").get(pk=batch_id)
    rows = hashlib.sha256()
    staged = StagedRow.objects.unrestricted("benchmark").filter(batch_id=batch_id).order_by("row")
    fields = ("row", "key", "is_valid", "values", "merge_state")
    for row, key, valid, values, state in staged.values_list(*fields).iterator(chunk_size=20_000):
        rows.update(f"{row}|{key}|{valid}|{state}|{json.dumps(values, sort_keys=True)}\n".encode())
    issues = hashlib.sha256()
    found = BatchIssue.objects.unrestricted("benchmark").filter(batch_id=batch_id)
    ordered = found.order_by("row", "column_index", "rule").values_list("row", "item", "rule", "message")
    for issue in ordered.iterator(chunk_size=20_000):
        issues.update(f"{issue}\n".encode())
    entities = Entity.objects.unrestricted("benchmark")
    return {
        "status": batch.status,
        "rows": batch.rows,
        "valid": batch.valid,
        "invalid": batch.invalid,
        "created": batch.created,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "conflicts": batch.conflicts,
        "staged_digest": rows.hexdigest()[:16],
        "issues_digest": issues.hexdigest()[:16],
        "entities": entities.count(),
        "distinct_entity_keys": entities.values("kind", "key").distinct().count(),
        "records": Record.objects.unrestricted("benchmark").count(),
        "versions": RecordVersion.objects.unrestricted("benchmark").count(),
    }


class RolledBack(Exception):
    pass


def reference_run(path: Path, officer) -> tuple[dict, dict]:
    """The uninterrupted run in this process, measured and rolled back."""
    from django.db import transaction

    from collection import intake, review

    found, timings = {}, {}
    try:
        with transaction.atomic():
            (batch,) = intake.create_batches(path, original_name=path.name, region_code=TOWNSHIP)
            began = time.monotonic()
            intake.verify_batch(batch)
            timings["verify_s"] = round(time.monotonic() - began, 1)
            began = time.monotonic()
            review.approve_batch(batch, acting_user=officer, background=False)
            timings["merge_s"] = round(time.monotonic() - began, 1)
            found.update(stored_state(batch.pk))
            raise RolledBack
    except RolledBack:
        pass
    return found, timings


# -- the killed run ------------------------------------------------------------------------------------------------


def kill_worker(serve_pid: int) -> dict:
    """SIGKILL the worker serve supervises (the process only, as the kernel's OOM killer would); what it had
    started is noted to check later that nothing was left running."""
    pid = wait_until(lambda: worker_of(serve_pid), 30, "a worker under serve")
    left = children_of(pid)
    os.kill(pid, signal.SIGKILL)
    return {"pid": pid, "at": time.monotonic(), "its_children": sorted(left)}


def returned_worker(serve_pid: int, killed: int) -> float:
    wait_until(lambda: worker_of(serve_pid) not in (None, killed), 120, "the worker's return", interval=0.05)
    return time.monotonic()


def batch_done(batch_id: int, running: str):
    from collection.models import Batch

    batch = Batch.objects.unrestricted("benchmark").get(pk=batch_id)
    return batch if batch.status != running and not batch.lease_owner else None


def killed_run(path: Path, officer, serve_pid: int, rows: int) -> dict:
    from basedb.models import MergeRun
    from collection import intake, review
    from collection.choices import BatchStatus
    from collection.models import Batch, StagedRow

    (batch,) = intake.create_batches(path, original_name=path.name, region_code=TOWNSHIP)
    intake.enqueue_verification(batch)  # committed at once (autocommit): the worker picks it up
    staged = StagedRow.objects.unrestricted("benchmark").filter(batch_id=batch.pk)
    wait_until(lambda: staged.count() >= rows // 3, 900, "a third of the rows verified", interval=0.5)
    kill = kill_worker(serve_pid)
    at_kill = {"staged_rows": staged.count(), "status": Batch.objects.unrestricted("benchmark").get(pk=batch.pk).status}
    back = returned_worker(serve_pid, kill["pid"])
    wait_until(lambda: batch_done(batch.pk, BatchStatus.VERIFYING), 900, "verified", interval=0.5)
    verified = time.monotonic()
    verification = {
        "killed_at": at_kill,
        "killed_worker_children": kill["its_children"],
        "children_left_10s_later": None,
        "kill_to_return_s": round(back - kill["at"], 1),
        "return_to_finished_s": round(verified - back, 1),
    }
    time.sleep(max(0.0, 10 - (time.monotonic() - kill["at"])))
    verification["children_left_10s_later"] = [pid for pid in kill["its_children"] if alive(pid)]

    review.approve_batch(Batch.objects.unrestricted("benchmark").get(pk=batch.pk), acting_user=officer, background=True)
    runs = MergeRun.objects.unrestricted("benchmark").filter(batch_id=batch.pk)
    wait_until(lambda: runs.filter(created__gte=rows // 3).exists(), 900, "a third merged", interval=0.5)
    kill = kill_worker(serve_pid)
    run = runs.get()
    at_kill = {"merged_rows": run.created + run.updated + run.unchanged + run.conflicts, "run_status": run.status}
    back = returned_worker(serve_pid, kill["pid"])
    wait_until(lambda: batch_done(batch.pk, BatchStatus.MERGING), 900, "merged", interval=0.5)
    merged = time.monotonic()
    merge = {
        "killed_at": at_kill,
        "kill_to_return_s": round(back - kill["at"], 1),
        "return_to_finished_s": round(merged - back, 1),
    }
    return {"batch": batch.pk, "verification": verification, "merge": merge}


def start_serve(database: str, media: Path, port: int, lease: int | None, log: Path) -> subprocess.Popen:
    env = os.environ | {"DATABASE_URL": database, "MEDIA_ROOT": str(media), "PRODUCTION": "false"}
    if lease:
        env["BATCH_LEASE_SECONDS"] = str(lease)
    argv = [PY, str(ROOT / "manage.py"), "serve", "--port", str(port), "--workers", "2"]
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/gr_trust_ops")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lease", type=int, default=None, help="BATCH_LEASE_SECONDS of serve (default: its own)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--file", type=Path, default=None, help="the generated workbook: reused when it exists")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="resume-bench-"))
    media = work / "media"
    os.environ["MEDIA_ROOT"] = str(media)
    setup_django(args.database)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from catalog.loader import load_catalog
    from regions.choices import Role
    from regions.loader import load_divisions
    from regions.models import RegionRole

    call_command("migrate", verbosity=0)
    load_divisions()
    load_catalog()
    from django.contrib.auth import get_user_model

    officer = get_user_model().objects.create_user(username="officer", password="x")  # noqa: S106
    RegionRole.objects.create(user=officer, region_id=TOWNSHIP[:6], role=Role.OFFICER)

    from intake import generate

    path = args.file or work / "户籍人口.xlsx"
    began = time.monotonic()
    if not path.exists():
        generate(path, args.rows)
    report = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"load average at start {os.getloadavg()[0]:.1f}",
        "database": f"PostgreSQL {connection.cursor().connection.info.server_version}",
        "rows": args.rows,
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "generate_s": round(time.monotonic() - began, 1),
        "lease_s": args.lease or settings.BATCH_LEASE_SECONDS,
        "chunks": {"verify": settings.INTAKE_CHUNK_ROWS, "merge": settings.MERGE_CHUNK_ROWS},
    }
    reference, report["reference"] = reference_run(path, officer)
    connection.close()

    port = args.port or free_port()
    serve = start_serve(args.database, media, port, args.lease, work / "serve.log")
    health = Health(f"http://127.0.0.1:{port}/healthz")
    try:
        wait_until(lambda: worker_of(serve.pid), 60, "serve's worker")
        health.start()
        wait_until(lambda: health.samples and health.samples[-1][1] == 200, 60, "/healthz")
        measured_from = health.samples[-1][0]
        report["killed"] = killed_run(path, officer, serve.pid, args.rows)
        killed = stored_state(report["killed"].pop("batch"))
        report["same_as_uninterrupted"] = killed == reference
        report["stored"] = {"uninterrupted": reference, "killed twice": killed}
        health.stop.set()
        health.join()
        report["healthz_during_the_run"] = health.summary(since=measured_from)
        report["load_average_at_end"] = round(os.getloadavg()[0], 1)
    finally:
        health.stop.set()
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
        connection.close()
        if not args.keep:
            _drop(args.database)
    report["serve_log"] = str(work / "serve.log")
    print(json.dumps(report, ensure_ascii=False, indent=2))


def _drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
