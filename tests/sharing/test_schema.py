"""The OpenAPI schema validates without warnings, and a bounded schemathesis fuzz run of the sharing endpoints
against a live server on 127.0.0.1 finds no 5xx."""

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.sharing.conftest import make_client

SHARING_PATHS = r"^/api/v1/(records|entities|match|changes|stats|webhooks|rules)/"
MAX_EXAMPLES = 25


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.fixture
def fuzz_token(base_data, transactional_db):
    return make_client(name="模糊测试", sensitivity="personal", rate_limit=100_000)[1]


def test_fuzzing_the_sharing_api_finds_no_server_error(live_server, fuzz_token):
    """Every sharing operation, MAX_EXAMPLES generated requests each (schemathesis' pytest plugin does not run under
    pytest 9, so the operations are driven here with Hypothesis directly)."""
    assert live_server.url.startswith(("http://localhost", "http://127.0.0.1"))
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/").include(path_regex=SHARING_PATHS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    headers = {"Authorization": f"Token {fuzz_token}"}
    statuses = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case):
            response = case.call(base_url=live_server.url, headers=headers, timeout=30)
            statuses.add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        fuzz()
    assert {200, 400} <= statuses  # the fuzzer got past authentication, with good and bad parameters
