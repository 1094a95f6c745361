"""`manage.py serve` runs the web server and the background worker together, restarts a worker that dies, and
neither child outlives it: Ctrl-C stops both, kill -9 of serve leaves no process behind. Real processes."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import alive, children_of

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_of(serve_pid: int) -> int | None:
    """The pid of serve's `manage.py worker` child, if one is running."""
    found = [pid for pid in children_of(serve_pid) if "manage.py worker" in command_line(pid) and alive(pid)]
    return found[0] if found else None


def wait_until(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout} s")


def wait_for_health(url: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a local test URL)
                return response.status
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated SQLite database file, copied for each test (migrating takes a while)."""
    path = tmp_path_factory.mktemp("serve") / "template.sqlite3"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{path}", "PRODUCTION": "false"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True,
                   timeout=300)  # fmt: skip
    return path


@pytest.fixture
def served(tmp_path, migrated):
    database = tmp_path / "serve.sqlite3"
    shutil.copy(migrated, database)
    env = os.environ | {"DATABASE_URL": f"sqlite:///{database}", "PRODUCTION": "false"}
    manage = [sys.executable, "manage.py"]
    port = free_port()
    serve = subprocess.Popen(
        [*manage, "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield serve, f"http://127.0.0.1:{port}"
    finally:
        leftovers = children_of(serve.pid)
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        for pid in leftovers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process table from /proc")
def test_serve_answers_and_ctrl_c_stops_the_server_and_the_worker(served):
    serve, url = served
    assert wait_for_health(f"{url}/healthz") == 200
    workers = children_of(serve.pid)
    assert len(workers) == 2, "gunicorn and db_worker"
    serve.send_signal(signal.SIGINT)
    assert serve.wait(timeout=60) == 0, serve.stderr.read()
    assert not [pid for pid in workers if alive(pid)]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process table from /proc")
def test_a_killed_worker_is_restarted_and_the_site_keeps_serving(served):
    serve, url = served
    assert wait_for_health(f"{url}/healthz") == 200
    first = wait_until(lambda: worker_of(serve.pid))
    os.kill(first, signal.SIGKILL)
    assert wait_for_health(f"{url}/healthz", timeout=10) == 200
    second = wait_until(lambda: worker_of(serve.pid) not in (None, first) and worker_of(serve.pid), timeout=30)
    assert second != first and serve.poll() is None
    assert wait_for_health(f"{url}/healthz", timeout=10) == 200


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process table from /proc")
def test_kill_9_of_serve_leaves_neither_the_worker_nor_gunicorn_running(served):
    serve, url = served
    assert wait_for_health(f"{url}/healthz") == 200
    children = wait_until(lambda: worker_of(serve.pid) and children_of(serve.pid))
    assert len(children) == 2
    serve.kill()
    serve.wait()
    wait_until(lambda: not [pid for pid in children if alive(pid)], timeout=45)
