import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform (gunicorn) together with its background worker (db_worker); Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--workers", default="2", help="gunicorn worker processes")

    def handle(self, *args, **options):
        address = f"{options['host']}:{options['port']}"
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "grassroots.wsgi",
            "--bind",
            address,
            "--workers",
            options["workers"],
            "--timeout",
            "300",
            "--access-logfile",
            "-",
        ]
        worker = [sys.executable, "manage.py", "db_worker", "--queue-name", "default"]
        procs = [subprocess.Popen(worker), subprocess.Popen(web)]  # noqa: S603 (fixed argv, our own programs)
        self.stdout.write(f"平台已启动：http://{address}/ （后台任务进程已启动，按 Ctrl-C 同时停止）")
        try:
            while all(p.poll() is None for p in procs):
                try:
                    procs[1].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        except KeyboardInterrupt:
            pass
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.stdout.write("已停止。")
