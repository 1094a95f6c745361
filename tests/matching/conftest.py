"""Matching fixtures: the shipped rules (fixtures/rules/) on the session's real catalog, and the scenario town."""

import pytest

from matching.loader import load_rules

from . import scenario


@pytest.fixture
def rules_loaded(regions, catalog):
    load_rules()


@pytest.fixture
def town(rules_loaded):
    """The scenario's base database, merged through the real merge."""
    scenario.build()
    return scenario
