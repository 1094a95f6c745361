"""Production settings: `manage.py check --deploy` is clean, and production refuses to start without secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "PRODUCTION": "true",
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789-abcdefghijkl",
    "ALLOWED_HOSTS": "data.example.gov.cn",
    "DATABASE_URL": "sqlite:////tmp/grassroots-deploy-check.sqlite3",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = os.environ | PRODUCTION_ENV | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_under_production_settings():
    done = manage("check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and "no issues" in done.stdout


def test_production_refuses_to_start_without_a_secret_key():
    done = manage("check", SECRET_KEY="")
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_production_refuses_debug_mode():
    done = manage("check", DEBUG="true")
    assert done.returncode != 0
    assert "DEBUG" in done.stderr
