"""Property-based tests of the whole API from its OpenAPI schema: no input makes it answer 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from agriqcert.wsgi import application
from tests.factories import issue_certificate, make_batch, make_inspection


@pytest.fixture
def web_schema(db):
    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = schemathesis.pytest.from_fixture("web_schema")


@pytest.fixture
def staff_token(actors):
    from rest_framework.authtoken.models import Token

    make_inspection(make_batch("RICE-1", exporter="exporter"))
    issue_certificate(make_inspection(make_batch("RICE-2", exporter="exporter")))
    return Token.objects.create(user=actors["staff"]).key


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(case, staff_token):
    if case.media_type == "multipart/form-data" and not isinstance(case.body, dict):
        return  # a form is named fields: no client can send a list or a number as one
    case.headers = {**(case.headers or {}), "Authorization": f"Token {staff_token}"}
    response = case.call()
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance, response_schema_conformance))
