"""A fresh worker is warmed before its first request: views imported, templates compiled, the catalog's specs built."""

import pytest

from catalog import specs_build
from grassroots import gunicorn_config
from grassroots.warmup import warm


@pytest.mark.django_db
def test_warming_builds_the_catalog_specs_before_any_request(catalog):
    specs_build.clear_spec_cache()
    warm()
    assert specs_build._cache["specs"] and "P0101" in specs_build._cache["specs"]


def test_gunicorn_warms_each_worker():
    assert callable(gunicorn_config.post_worker_init)
