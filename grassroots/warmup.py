"""Warm a fresh web worker before its first request (gunicorn's post_worker_init, `manage.py serve`): every view
module imported through the URLconf, the common templates compiled, a database connection opened, and whatever the
apps warm themselves (an AppConfig's `warm()`: the catalog builds its specs). Without it the first request after a
start paid for all of this (3.3 s)."""

import logging
import time

from django.apps import apps
from django.db import connection
from django.template.loader import get_template
from django.urls import get_resolver

logger = logging.getLogger(__name__)

TEMPLATES = (
    "base.html", "home.html", "collection/upload.html", "collection/batch_detail.html", "collection/batch_list.html",
    "basedb/home_collector.html", "basedb/home_officer.html",
)  # fmt: skip


def warm() -> float:
    """Do the one-time work of a worker now; returns the seconds it took (logged)."""
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018 (imports every app's urls and views)
    for name in TEMPLATES:
        get_template(name)
    connection.ensure_connection()
    for config in apps.get_app_configs():
        if callable(getattr(config, "warm", None)):
            config.warm()
    seconds = time.perf_counter() - started
    logger.info("worker warmed", extra={"seconds": round(seconds, 3)})
    return seconds
