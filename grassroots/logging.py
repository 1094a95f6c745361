"""Structured logging: one JSON object per line on stdout, so any log collector can parse it.

No log line carries a query string: a search or an API filter may hold an ID number (`?v.id_number=`), so requests
are logged by method and path only (entities are addressed by opaque ids, never by their key)."""

import json
import logging
import re
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_QUERY = re.compile(r"\?[^\s\"']*")  # a query string inside a request line or a quoted URL


def without_query(text: str) -> str:
    """`text` with every query string cut out of the URLs it contains ("GET /a/?q=1 HTTP/1.1" → "GET /a/ HTTP/1.1")."""
    return _QUERY.sub("", text)


def _field(value):
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if hasattr(value, "method") and hasattr(value, "path") and hasattr(value, "META"):  # an HttpRequest
        return f"{value.method} {value.path}"
    return without_query(str(value))


class JsonFormatter(logging.Formatter):
    """Format a log record as JSON with its extra fields (e.g. batch=, user=) kept as keys."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.message(record),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = _field(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)

    def message(self, record: logging.LogRecord) -> str:
        # Request lines (runserver's django.server, gunicorn) lose their query strings; other messages stay as written.
        text = record.getMessage()
        return without_query(text) if record.name in REQUEST_LOGGERS else text


REQUEST_LOGGERS = frozenset({"django.server", "django.request", "gunicorn.access"})


class AccessJsonFormatter(JsonFormatter):
    """gunicorn's access log as JSON: the request's method, path, status, size and duration as keys."""

    FIELDS = {"h": "remote", "m": "method", "U": "path", "s": "status", "B": "bytes", "M": "duration_ms"}  # no "q"

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args if isinstance(record.args, dict) else {}
        for atom, key in self.FIELDS.items():
            if atom in atoms:
                setattr(record, key, atoms[atom])
        return super().format(record)


# Used by grassroots/gunicorn_config.py so the web server's own logs are JSON lines on stdout too.
GUNICORN_LOGCONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}, "access": {"()": AccessJsonFormatter}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"},
        "access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "access"},
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
