"""Settings come from environment variables through typed helpers that fail loudly on a bad value."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_with(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter and print the database engine and DEBUG."""
    code = "from grassroots import settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}} | env
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_an_empty_database_url_means_the_embedded_sqlite_default():
    assert settings_with(DATABASE_URL="").stdout.split()[0] == "django.db.backends.sqlite3"


def test_a_postgres_url_selects_postgresql():
    done = settings_with(DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert done.stdout.split()[0] == "django.db.backends.postgresql"


def test_a_boolean_that_is_not_one_fails_loudly():
    done = settings_with(DEBUG="maybe")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "DEBUG" in done.stderr


def test_an_integer_that_is_not_one_fails_loudly():
    done = settings_with(UPLOAD_MAX_MB="lots")
    assert done.returncode != 0
    assert "UPLOAD_MAX_MB" in done.stderr


def test_the_platform_speaks_chinese_in_shanghai_time():
    from django.conf import settings

    assert (settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ) == ("zh-hans", "Asia/Shanghai", True)
