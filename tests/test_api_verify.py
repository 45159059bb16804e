"""The public verify endpoint: a credential or QR text in, each check with its reason out."""

from __future__ import annotations

import pytest

from credentials.qr import encode_pixelpass
from tests.factories import forge, issue_certificate, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(batch):
    return issue_certificate(make_inspection(batch)).credential


def test_anyone_can_verify_a_credential(api, credential):
    response = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["signature"]["ok"] is True and body["revocation"]["reason"] == "not revoked"


def test_qr_text_verifies_too(api, credential):
    response = api["anonymous"].post("/api/v1/verify/", {"qr": encode_pixelpass(credential)}, format="json")

    assert response.json()["valid"] is True


def test_a_tampered_credential_is_invalid_with_a_reason(api, credential):
    credential["credentialSubject"]["assessment"]["grade"] = "A+"

    body = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json").json()

    assert body["valid"] is False and "altered" in body["signature"]["reason"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "non_field_errors"),
        ({"credential": [1, 2]}, "credential"),
        ({"qr": "not qr data!"}, "qr"),
        ({"credential": {}, "qr": "x"}, "non_field_errors"),
    ],
)
def test_unreadable_input_is_a_400_that_says_why(api, payload, field):
    response = api["anonymous"].post("/api/v1/verify/", payload, format="json")

    assert response.status_code == 400 and field in response.json()


def test_a_did_web_issuer_is_not_fetched_for_strangers(api, credential):
    credential["issuer"] = "did:web:169.254.169.254"
    credential["proof"]["verificationMethod"] = "did:web:169.254.169.254#key-1"

    body = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json").json()

    assert body["valid"] is False and "offline" in body["signature"]["reason"]


def test_a_correctly_signed_credential_from_a_stranger_is_not_valid(api, credential):
    forged = forge(credential, product="FORGED")

    body = api["anonymous"].post("/api/v1/verify/", {"credential": forged}, format="json").json()

    assert body["signature"]["ok"] is True  # the stranger's signature is genuine…
    assert body["trust"]["ok"] is False  # …but the stranger is nobody this service vouches for
    assert "does not know" in body["trust"]["reason"]
    assert body["valid"] is False


def test_our_own_certificates_are_from_a_trusted_issuer(api, credential):
    body = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json").json()

    assert body["trust"]["ok"] is True and body["valid"] is True


def test_issuers_listed_in_trusted_issuers_are_trusted(api, credential, settings):
    forged = forge(credential)
    settings.TRUSTED_ISSUERS = [forged["issuer"]]

    body = api["anonymous"].post("/api/v1/verify/", {"credential": forged}, format="json").json()

    assert body["valid"] is True
