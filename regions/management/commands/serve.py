import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the platform (gunicorn) together with its background worker (db_worker); Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", default="2", help="gunicorn worker processes")

    def handle(self, *args, **options):
        address = f"{options['host']}:{options['port']}"
        web = [sys.executable, "-m", "gunicorn", "grassroots.wsgi", "--bind", address]
        web += ["--config", "python:grassroots.gunicorn_config", "--workers", options["workers"], "--timeout", "300"]
        worker = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "db_worker", "--queue-name", "default"]
        # Ctrl-C and SIGTERM (a service manager) stop both children; set explicitly, since a shell starting us in
        # the background may have left SIGINT ignored.
        signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        procs = {"db_worker": subprocess.Popen(worker), "gunicorn": subprocess.Popen(web)}  # noqa: S603 (our argv)
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


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM every child still running, then wait; kill what has not stopped after 15 seconds."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
