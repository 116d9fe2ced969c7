"""Schemathesis against the published OpenAPI document, in the suite and bounded (a fixed seed,
a few generated requests per operation): no server errors, every answer matches its documented
schema, status code and content type (issue 15: the contract stays true)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frontline.tables import ApiToken
from tests.factories import make_guest, make_token, make_user

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same requests every run: a red run is reproducible
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_operation_keeps_its_published_contract(cargo_world):
    """On the cargo demo world (flights, lanes, a trained price model) and a casino floor."""
    app = cargo_world
    with app.app_context():
        host = make_user(role="host", email="maya@example.test")
        for external_id in ("G1", "G2"):
            make_guest(host=host, external_id=external_id)
        token = make_token(sorted(ApiToken.SCOPES))
    # identity: the WSGI test client does not undo brotli/gzip (real clients do).
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    broken, tried = {}, []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @BOUNDED
        @given(case=operation.as_strategy())
        def keeps_contract(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            keeps_contract()
        except Exception as error:  # every operation is tried; all failures are reported
            broken[operation.label] = error
    assert len(tried) >= 8, tried  # the document really was read
    assert not broken, "\n\n".join(f"{label}:\n{error}" for label, error in broken.items())
