"""The API against its own OpenAPI document, fuzzed by schemathesis with a
bounded number of examples per operation (issue 12.11): no input makes it
answer 500, and every answer is one the document declares."""
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given  # noqa: E402
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance  # noqa: E402

from mediasearch.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.slow  # a few hundred requests: the full suite runs it

EXAMPLES = int(__import__("os").environ.get("MS_FUZZ_EXAMPLES", "25"))  # per operation: bounded, so CI stays quick


def test_the_api_keeps_its_documented_promises(settings, library_dir):
    app = create_app(settings, allowed_hosts=["testserver", "localhost", "127.0.0.1"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 6
    for op in operations:
        @given(case=op.as_strategy())
        @hsettings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                   derandomize=True)  # the same examples on every run: CI never flakes on a new seed
        def run(case):
            case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance])

        run()
