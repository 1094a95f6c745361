"""The audit tests act through every app: they borrow the apps' fixtures (rules, report forms, catalog sources)."""

from tests.catalog.conftest import real_source_copy  # noqa: F401
from tests.collection.batch_fixtures import media  # noqa: F401
from tests.matching.conftest import rules_loaded, town  # noqa: F401
from tests.reports.conftest import county, forms_loaded  # noqa: F401
