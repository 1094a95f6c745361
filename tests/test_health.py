"""/healthz answers 200 with a reachable database and 503 without one; logs are JSON lines on stdout."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE_DB = "postgres://postgres@127.0.0.1:1/unreachable"  # port 1: nothing listens, refused at once

# Runs in a fresh interpreter whose settings point at a database that cannot be reached (no mocking).
ASK_HEALTHZ = """
import django, json, sys
django.setup()
from django.test import Client
response = Client().get("/healthz")
sys.stderr.write(json.dumps({"status": response.status_code, "body": response.json()}))
"""


@pytest.fixture(scope="module")
def unreachable():
    env = os.environ | {"DATABASE_URL": UNREACHABLE_DB, "DJANGO_SETTINGS_MODULE": "grassroots.settings"}
    done = subprocess.run(
        [sys.executable, "-c", ASK_HEALTHZ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


def test_healthz_is_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_needs_no_login(client, db):
    assert client.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_is_unreachable(unreachable):
    result, _ = unreachable
    assert result == {"status": 503, "body": {"status": "error", "database": "unreachable"}}


def test_logs_are_one_json_object_per_line_on_stdout(unreachable):
    _, stdout = unreachable
    records = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    failure = next(r for r in records if r["message"] == "health check failed")
    assert failure["level"] == "ERROR" and failure["logger"] == "grassroots.views"
    assert "error" in failure and {"time", "level", "logger", "message"} <= set(failure)


def test_the_json_formatter_keeps_extra_fields_and_chinese_text():
    import logging

    from grassroots.logging import JsonFormatter

    record = logging.makeLogRecord({"msg": "批次已入库", "levelname": "INFO", "name": "t", "batch": 7})
    line = JsonFormatter().format(record)
    assert json.loads(line)["message"] == "批次已入库" and json.loads(line)["batch"] == 7
    assert "批次已入库" in line, "Chinese text is kept readable, not escaped"
