"""`manage.py serve`: gunicorn and the background worker, supervised.

The worker is restarted with back-off when it dies (the web server keeps serving meanwhile); gunicorn dying stops
everything (a port already taken must not be retried forever). Neither child outlives `serve`: on Linux each child
gets SIGTERM from the kernel when `serve` dies (PR_SET_PDEATHSIG), and the worker also watches its parent's pid
(`manage.py worker`, grassroots/lifeline.py) and exits when it is gone, kill -9 of `serve` included.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grassroots.lifeline import PARENT_ENV, die_with_parent

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0  # seconds before restarting a dead worker, doubled per quick death
STABLE_SECONDS = 60.0  # a worker that ran this long before dying is restarted after BACKOFF_FIRST again


class Command(BaseCommand):
    help = "Serve the platform (gunicorn) together with its background worker (`manage.py worker`); Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", default="2", help="gunicorn worker processes")

    def handle(self, *args, **options):
        address = f"{options['host']}:{options['port']}"
        web = [sys.executable, "-m", "gunicorn", "grassroots.wsgi", "--bind", address]
        web += ["--config", "python:grassroots.gunicorn_config", "--workers", options["workers"], "--timeout", "300"]
        # `worker` runs db_worker or RQ's rqworker, whichever TASKS_BACKEND needs.
        worker = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "worker"]
        # Ctrl-C and SIGTERM (a service manager) reach only this process: the children run in their own sessions
        # and get exactly one SIGTERM from _stop, which gunicorn and both workers treat as "finish, then exit".
        # Handlers are set explicitly because a shell starting us in the background may have left SIGINT ignored.
        signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        supervisor = Supervisor(worker, log=self.stderr.write)
        procs = {"worker": supervisor.start(), "gunicorn": _start(web)}
        self.stdout.write(f"平台已启动：http://{address}/ （后台任务进程已启动，按 Ctrl-C 同时停止）")
        try:
            while procs["gunicorn"].poll() is None:
                procs["worker"] = supervisor.check()
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            _stop([supervisor.proc, procs["gunicorn"]])
        self.stdout.write("已停止。")
        if procs["gunicorn"].returncode is not None and procs["gunicorn"].returncode != 0:
            raise CommandError(f"gunicorn 意外退出（退出码 {procs['gunicorn'].returncode}），已停止全部进程")


class Supervisor:
    """Keeps one child running: restarts it when it exits, waiting longer after each quick death (back-off)."""

    def __init__(self, argv: list[str], log=print):
        self.argv, self.log = argv, log
        self.proc: subprocess.Popen | None = None
        self.delay, self.started, self.restart_at = BACKOFF_FIRST, 0.0, None

    def start(self) -> subprocess.Popen:
        self.proc, self.started, self.restart_at = _start(self.argv), time.monotonic(), None
        return self.proc

    def check(self) -> subprocess.Popen | None:
        """Called in the loop: notices a death, schedules the restart, restarts when due; returns the child."""
        now = time.monotonic()
        if self.restart_at is None and self.proc is not None and self.proc.poll() is not None:
            ran = now - self.started
            self.delay = BACKOFF_FIRST if ran >= STABLE_SECONDS else min(self.delay * 2, BACKOFF_MAX)
            self.restart_at = now + (BACKOFF_FIRST if ran >= STABLE_SECONDS else self.delay)
            self.log(f"后台任务进程已退出（退出码 {self.proc.returncode}），{self.restart_at - now:.0f} 秒后重启\n")
        if self.restart_at is not None and now >= self.restart_at:
            self.start()
        return self.proc


def _start(argv: list[str]) -> subprocess.Popen:
    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    return subprocess.Popen(argv, start_new_session=True, env=env, preexec_fn=die_with_parent)  # noqa: S603


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(procs: list[subprocess.Popen | None], grace_seconds: int = 30) -> None:
    """SIGTERM every child still running and wait; kill what has not stopped in time or on a second Ctrl-C."""
    procs = [proc for proc in procs if proc is not None]
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    try:
        for proc in procs:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
