"""`POST /credentials/verify`, the W3C VC API's verifier: the same verdicts as the page, in the VC API's shape."""

from __future__ import annotations

import pytest

from tests.factories import issue_certificate, make_inspection

pytestmark = pytest.mark.django_db

URL = "/credentials/verify"


@pytest.fixture
def credential(batch):
    return issue_certificate(make_inspection(batch)).credential


def verify(api, body):
    return api["anonymous"].post(URL, body, format="json")


def test_a_valid_credential_is_verified_with_the_checks_that_passed(api, credential):
    response = verify(api, {"verifiableCredential": credential, "options": {}})

    assert response.status_code == 200
    assert response.json() == {
        "verified": True,
        "checks": ["proof", "dataModel", "issuer", "trustedIssuer", "validityPeriod", "credentialStatus"],
        "warnings": [],
        "errors": [],
    }


def test_a_tampered_credential_is_a_422_whose_errors_say_why(api, credential):
    credential["credentialSubject"]["assessment"]["grade"] = "A+"

    response = verify(api, {"verifiableCredential": credential})

    assert response.status_code == 422
    body = response.json()
    assert body["verified"] is False and "proof" not in body["checks"]
    proof = next(error for error in body["errors"] if error["title"] == "proof")
    assert "altered" in proof["detail"]


def test_a_revoked_credential_is_a_422_naming_its_status(api, batch):
    from certificates.lifecycle import revoke

    certificate = issue_certificate(make_inspection(batch))
    revoke(certificate, by="auditor", reason="fraud")

    response = verify(api, {"verifiableCredential": certificate.credential})

    assert response.status_code == 422
    assert [error["detail"] for error in response.json()["errors"]] == ["revoked by its issuer"]


def test_it_answers_as_the_page_and_the_v1_api_do(api, credential):
    credential["validUntil"] = "2020-01-01T00:00:00Z"

    vc_api = verify(api, {"verifiableCredential": credential}).json()
    v1 = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json").json()

    assert vc_api["verified"] is v1["valid"] is False
    reasons = {error["detail"] for error in vc_api["errors"]} | {w["detail"] for w in vc_api["warnings"]}
    assert reasons == {
        check["reason"] for name, check in v1.items() if isinstance(check, dict) and check["ok"] is not True
    }


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "verifiableCredential"),
        ({"verifiableCredential": [1, 2]}, "verifiableCredential"),
        ({"verifiableCredential": "text"}, "verifiableCredential"),
        ({"verifiableCredential": {"a": 1}, "options": {"checks": ["astrology"]}}, "checks"),
        ([1, 2], "non_field_errors"),
    ],
)
def test_a_request_that_is_not_one_is_a_400_that_says_why(api, body, field):
    response = verify(api, body)

    assert response.status_code == 400
    assert field in str(response.json())


def test_unknown_options_are_named_in_a_warning(api, credential):
    response = verify(api, {"verifiableCredential": credential, "options": {"challenge": "x"}})

    assert response.status_code == 200
    assert [w["detail"] for w in response.json()["warnings"]] == [
        "the option 'challenge' is not one this verifier knows"
    ]


def test_it_shares_the_verify_rate_limit_with_the_page_and_the_v1_api(api):
    from django.core.cache import cache

    cache.clear()
    for _ in range(59):
        api["anonymous"].post("/api/v1/verify/", {"qr": "x"}, format="json")

    last_allowed = verify(api, {"verifiableCredential": "x"}).status_code
    refused = verify(api, {"verifiableCredential": "x"}).status_code
    cache.clear()

    assert (last_allowed, refused) == (400, 429)


def test_it_is_in_the_api_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/credentials/verify"]["post"]
    assert operation["operationId"] == "verifyCredential"
    assert {"200", "422"} <= set(operation["responses"])
