"""What the benchmarks share: generated ID numbers, a scratch database made fresh, Django set up against it.

The scripts run as `python benchmarks/NAME.py`, so they import this module by its file's folder (on sys.path).
"""

import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's apps, for django.setup()
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643 check-digit weights


def with_check_digit(body: str) -> str:
    """A 17-digit ID number body with its GB 11643 check character appended."""
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def person_id(n: int) -> str:
    """A distinct, checksum-valid ID number for person n (n < 10**8)."""
    return with_check_digit(f"37{n:08d}{1950 + n % 50:04d}{1 + n % 12:02d}{n % 9 + 1}")


def fresh_database(url: str) -> None:
    """Drop and recreate the benchmark database (PostgreSQL) or file (SQLite)."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        import psycopg

        name = parsed.path.lstrip("/")
        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def setup_django(database: str, *, reuse: bool = False) -> None:
    """Django against `database` (made fresh unless `reuse`, e.g. a database prefilled by an earlier run)."""
    if not reuse:
        fresh_database(database)
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
    import django

    django.setup()


def machine_facts() -> dict:
    """Where a benchmark ran, for docs/performance.md: load average, machine, Python and database server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        server = cursor.fetchone()[0][:60]
    return {
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "machine": f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores",
        "python": platform.python_version(),
        "server": server,
    }


def load_sibling(name: str):
    """A sibling benchmark by its file (benchmarks/reports.py shares its name with the reports app)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timings(send, requests: int) -> dict:
    """One cold call, then `requests` timed ones: milliseconds."""
    started = time.perf_counter()
    assert send().status_code == 200
    cold = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = send()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return {"cold_ms": round(cold, 1), "p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
            "max_ms": round(times[-1], 1), "requests": requests}  # fmt: skip


def queries_of(send) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        send()
    return len(captured)
