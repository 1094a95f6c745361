import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


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
        procs = {name: _start(argv) for name, argv in [("worker", worker), ("gunicorn", web)]}
        self.stdout.write(f"平台已启动：http://{address}/ （后台任务进程已启动，按 Ctrl-C 同时停止）")
        died = None
        try:
            while died is None:
                died = next((name for name, p in procs.items() if p.poll() is not None), None)
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            _stop(list(procs.values()))
        self.stdout.write("已停止。")
        if died:
            raise CommandError(f"{died} 意外退出（退出码 {procs[died].returncode}），已停止全部进程")


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, start_new_session=True)  # noqa: S603 (fixed argv of our own programs)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(procs: list[subprocess.Popen], grace_seconds: int = 30) -> None:
    """SIGTERM every child still running and wait; kill what has not stopped in time or on a second Ctrl-C."""
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
