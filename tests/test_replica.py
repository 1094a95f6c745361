"""Reads on a real PostgreSQL hot standby: the sharing API and the board read the standby and answer as the primary
would; a standby lagging past REPLICA_MAX_LAG_SECONDS is bypassed; whoever just changed something reads the primary
until the standby has replayed the change; an unreachable replica costs nothing but the fallback.

The test builds its own primary (initdb, wal_level=replica) and standby (pg_basebackup -R) on free ports in a
temporary directory, as the `postgres` OS user when run as root, points Django's "default" and "replica" at them
for this module, and removes both clusters afterwards, also on failure. PostgreSQL runs only: without initdb,
pg_ctl and pg_basebackup it is skipped with the reason (and fails under CI=true).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Record
from catalog.loader import load_catalog
from catalog.specs_build import clear_spec_cache
from grassroots import replica
from grassroots.models import WriteMark
from regions.choices import Role
from regions.loader import load_divisions
from regions.models import Region
from tests.basedb.conftest import person, staged_batch
from tests.conftest import COUNTY_A, TOWNSHIP_A, make_user
from tests.sharing.conftest import http, make_client

TOOLS = ("initdb", "pg_ctl", "pg_basebackup")
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the standby is a PostgreSQL streaming replica (this run is on SQLite)",
)
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
ROUTING = {
    "DATABASE_ROUTERS": ["grassroots.replica.ReplicaRouter"],
    "REPLICA_MAX_LAG_SECONDS": 30,
}
RECORDS = "/api/v1/records/?subcategory=P0101"
WAIT_SECONDS = 30


def postgres_bin() -> Path | None:
    """A directory holding initdb, pg_ctl and pg_basebackup: PG_BIN, or the newest /usr/lib/postgresql/*/bin."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    return next((Path(c) for c in candidates if c and all((Path(c) / t).is_file() for t in TOOLS)), None)


def skip_or_fail(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; under CI=true the replica test must run, not be skipped")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Clusters:
    """A primary and its hot standby in a temporary directory; `stop` is safe to call at any point."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="grassroots-replica-"))
        if AS_POSTGRES:
            shutil.chown(self.root, user="postgres")
        self.primary, self.standby = self.root / "primary", self.root / "standby"
        self.primary_port, self.standby_port = free_port(), free_port()

    def run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*AS_POSTGRES, str(self.bindir / tool), *args], capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            logs = "".join(f"\n--- {log.name}\n{log.read_text()[-2000:]}" for log in self.root.glob("*.log"))
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}{logs}")

    def start(self) -> None:
        self.run("initdb", "-D", str(self.primary), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N")
        settings = {
            "port": self.primary_port, "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.root}'",
            "wal_level": "replica", "max_wal_senders": 4, "hot_standby": "on", "fsync": "off",
            "full_page_writes": "off", "max_connections": 40, "shared_buffers": "'64MB'",
        }  # fmt: skip
        with (self.primary / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        self.run("pg_ctl", "-D", str(self.primary), "-l", str(self.root / "primary.log"), "-w", "-t", "60", "start")
        self.sql(self.primary_port, "CREATE DATABASE grassroots", dbname="postgres")
        address = ["-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"]
        self.run("pg_basebackup", "-D", str(self.standby), *address, "-R", "-X", "stream", "-c", "fast", "-N")
        with (self.standby / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {self.standby_port}\n")
        self.run("pg_ctl", "-D", str(self.standby), "-l", str(self.root / "standby.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        for data in (self.standby, self.primary):
            if (data / "postmaster.pid").exists():
                subprocess.run([*AS_POSTGRES, str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                               capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)

    @staticmethod
    def sql(port: int, query: str, params=(), dbname: str = "grassroots"):
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=dbname, autocommit=True) as conn:
            return conn.execute(query, params).fetchone() if query.lstrip().upper().startswith("SELECT") else (
                conn.execute(query, params)
            )  # fmt: skip

    def primary_lsn(self) -> str:
        return self.sql(self.primary_port, "SELECT pg_current_wal_lsn()::text")[0]

    def wait_for_standby(self, replayed: bool = True) -> None:
        """Until the standby has received (or replayed) everything the primary wrote so far."""
        target = self.primary_lsn()
        position = "pg_last_wal_replay_lsn()" if replayed else "pg_last_wal_receive_lsn()"
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.sql(self.standby_port, f"SELECT {position} >= %s::pg_lsn", [target])[0]:
            assert time.monotonic() < deadline, f"the standby did not reach {target} within {WAIT_SECONDS} s"
            time.sleep(0.05)

    @contextmanager
    def replay_paused(self):
        self.sql(self.standby_port, "SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            self.sql(self.standby_port, "SELECT pg_wal_replay_resume()")
            self.wait_for_standby()


@contextmanager
def databases(extra: dict, default: dict | None = None):
    """Django's connections: the `extra` aliases added and, given `default`, the "default" connection pointed at
    another server for the block; all restored after it. The "default" connection object itself is kept (only its
    settings change): pytest-django closes that very object before it drops the test database."""
    wrapper, saved = connections["default"], connections["default"].settings_dict
    for alias in extra:
        _drop_connection(alias)
    connections.settings.update(extra)
    if default:
        wrapper.close()
        wrapper.settings_dict = default
    try:
        yield
    finally:
        for alias in extra:
            _drop_connection(alias)
            connections.settings.pop(alias, None)
        if default:
            wrapper.close()
            wrapper.settings_dict = saved


def _drop_connection(alias: str) -> None:
    if alias in connections.settings:
        connections[alias].close()
        del connections[alias]


def server(port: int) -> dict:
    db = {**connections.settings["default"], "NAME": "grassroots", "USER": "postgres", "PASSWORD": "",
          "HOST": "127.0.0.1", "PORT": str(port), "CONN_MAX_AGE": 0, "TEST": {}}  # fmt: skip
    return {**db, "OPTIONS": {"connect_timeout": 2}}


@pytest.fixture(scope="module")
def clusters(django_db_blocker):
    """The primary and standby, with the schema, regions and catalog, as Django's "default" and "replica"."""
    bindir = postgres_bin()
    if bindir is None:
        skip_or_fail(f"no {', '.join(TOOLS)} found (set PG_BIN to PostgreSQL's bin directory)")
    if AS_POSTGRES and shutil.which("runuser") is None:
        skip_or_fail("running as root needs runuser to start PostgreSQL as the postgres user")
    pg = Clusters(bindir)
    try:
        pg.start()
        with (
            django_db_blocker.unblock(),
            databases({replica.REPLICA: server(pg.standby_port)}, server(pg.primary_port)),
        ):
            call_command("migrate", verbosity=0)
            clear_spec_cache()
            load_divisions()
            load_catalog()
            with override_settings(**ROUTING):
                yield pg
    finally:
        clear_spec_cache()
        pg.stop()


@pytest.fixture(scope="module")
def people(clusters):
    """Five P0101 records of township A merged on the primary, and an API client of county A with its token."""
    merge_batch(staged_batch(TOWNSHIP_A, [person(n) for n in range(1, 6)]), acting_user=None)
    return make_client(region=COUNTY_A)


@contextmanager
def queries():
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[replica.REPLICA]) as standby,
    ):
        yield primary, standby


def read(table: str, captured) -> bool:
    return any(q["sql"].lstrip().upper().startswith("SELECT") and f'"{table}"' in q["sql"] for q in captured)


def record_ids(body: dict) -> set[int]:
    return {row["id"] for row in body["results"]}


@pytest.mark.postgres
@postgresql_only
def test_the_sharing_api_reads_the_standby_and_answers_as_the_primary(clusters, people):
    api = http(people[1])
    clusters.wait_for_standby()
    with queries() as (primary, standby):
        from_standby = api.get(RECORDS).json()
        matched = api.post("/api/v1/match/", {"keys": [person(1)["id_number"]], "subcategories": ["P0101"]},
                           format="json")  # fmt: skip
    assert read("basedb_record", standby) and not read("basedb_record", primary)
    with override_settings(DATABASE_ROUTERS=[]):
        from_primary = api.get(RECORDS).json()
    assert from_standby == from_primary and len(from_standby["results"]) == 5
    assert matched.status_code == 200 and matched.json()["results"]
    assert not WriteMark.objects.filter(actor=f"client:{people[0].pk}").exists(), "a read by POST marks no write"


@pytest.mark.postgres
@postgresql_only
def test_a_standby_lagging_beyond_the_bound_is_bypassed_for_the_primary(clusters, people, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    api = http(people[1])
    with clusters.replay_paused():
        merge_batch(staged_batch(TOWNSHIP_A, [person(20)]), acting_user=None)
        new = Record.objects.get(entity__key=person(20)["id_number"]).pk
        clusters.wait_for_standby(replayed=False)
        deadline = time.monotonic() + WAIT_SECONDS
        while replica.replica_state()[2] <= 1:
            assert time.monotonic() < deadline, "the standby's lag never passed the bound"
            time.sleep(0.1)
        with queries() as (primary, standby):
            lagging = api.get(RECORDS).json()
        assert new in record_ids(lagging) and read("basedb_record", primary) and not read("basedb_record", standby)
    with queries() as (primary, standby):
        caught_up = api.get(RECORDS).json()
    assert new in record_ids(caught_up) and read("basedb_record", standby)


@pytest.mark.postgres
@postgresql_only
def test_whoever_just_changed_data_reads_the_primary_until_the_standby_has_replayed_it(clusters, people, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "grassroots.replica.ReadYourWritesMiddleware"]
    settings.REPLICA_MAX_LAG_SECONDS = 3600  # lag alone sends nobody to the primary here
    author, colleague = (make_user(name, Role.OFFICER, COUNTY_A) for name in ("officer_author", "officer_colleague"))
    batch = staged_batch(TOWNSHIP_A, [person(30), person(31)])
    web, other = Client(), Client()
    web.force_login(author)
    other.force_login(colleague)
    before = web.get(reverse("basedb:board")).context["total"].records
    clusters.wait_for_standby()
    with clusters.replay_paused():
        assert web.post(reverse("collection:review_approve", args=[batch.pk]), {"confirm": "0-0"}).status_code == 302
        assert WriteMark.objects.filter(actor=f"user:{author.pk}").exists()
        with queries() as (primary, standby):
            own = web.get(reverse("basedb:board")).context["total"].records
        assert own == before + 2 and read("basedb_recordcount", primary) and not read("basedb_recordcount", standby)
        with queries() as (primary, standby):
            others = other.get(reverse("basedb:board")).context["total"].records
        assert others == before and read("basedb_recordcount", standby), "the colleague still reads the (stale) standby"
    with queries() as (primary, standby):
        own = web.get(reverse("basedb:board")).context["total"].records
    assert own == before + 2 and read("basedb_recordcount", standby), "replayed: the author is back on the standby"


def test_an_unreachable_replica_sends_reads_to_the_primary(monkeypatch, django_db_setup, django_db_blocker):
    monkeypatch.setattr(replica, "_replica_down_until", 0.0)
    closed = {**server(free_port()), "ENGINE": "django.db.backends.postgresql"}  # nothing listens there
    with django_db_blocker.unblock(), databases({replica.REPLICA: closed}), override_settings(**ROUTING):
        with replica.reading_from_replica() as on_replica, CaptureQueriesContext(connections["default"]) as primary:
            assert not on_replica
            Region.objects.filter(code=TOWNSHIP_A).exists()
        assert read("regions_region", primary)
        assert replica.replica_state() is None, "not retried at once"
