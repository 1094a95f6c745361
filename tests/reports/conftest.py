"""Reports fixtures: the shipped forms (fixtures/reports/) on the session's real catalog, and the scenario county."""

import io
import json

import pytest
from django.core.management import call_command

from reports.loader import load_reports

from . import scenario


@pytest.fixture
def forms_loaded(regions, catalog):
    load_reports()


@pytest.fixture
def county(forms_loaded):
    """The scenario's base database, merged through the real merge."""
    scenario.build()
    return scenario


def fill_json(form: str, region: str, as_of=scenario.AS_OF) -> dict:
    """`manage.py fill_report FORM --region CODE --as-of DATE --json` run for real; its stdout parsed."""
    out = io.StringIO()
    call_command("fill_report", form, "--region", region, "--as-of", as_of.isoformat(), "--json", stdout=out)
    return json.loads(out.getvalue())
