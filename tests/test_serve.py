"""`manage.py serve` runs the web server and the background worker together, and Ctrl-C stops both."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> set[int]:
    """Direct child processes of `pid`, read from /proc (Linux)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def wait_for_health(url: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (a local test URL)
                return response.status
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def served(tmp_path):
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "PRODUCTION": "false"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
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
        if serve.poll() is None:
            serve.kill()
            serve.wait()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process table from /proc")
def test_serve_answers_and_ctrl_c_stops_the_server_and_the_worker(served):
    serve, url = served
    assert wait_for_health(f"{url}/healthz") == 200
    workers = children_of(serve.pid)
    assert len(workers) == 2, "gunicorn and db_worker"
    serve.send_signal(signal.SIGINT)
    assert serve.wait(timeout=60) == 0, serve.stderr.read()
    assert not [pid for pid in workers if alive(pid)]
