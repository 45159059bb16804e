"""Verifying this service's certificates: issuer, validity, tampering — always with a reason.

The engine's own tests (every suite, the W3C vectors) are in tests/engine/test_signatures.py."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.trust import public_policy
from core.clock import utcnow
from credentials.keys import SigningKey
from credentials.policy import VerificationPolicy
from credentials.proofs import sign_ed25519_2020
from credentials.verification import verify_credential
from tests.factories import issue_certificate, make_inspection


@pytest.fixture
def credential(batch) -> dict:
    return issue_certificate(make_inspection(batch)).credential


def test_an_issued_certificate_verifies(credential):
    result = verify_credential(credential, policy=public_policy())

    assert result.valid
    assert all(check.ok for check in result.checks.values())
    assert result.issuer_id.startswith("did:key:z6Mk")


@pytest.mark.parametrize(
    "path, value",
    [
        (("credentialSubject", "assessedProduct", "quantity", "value"), 99999),
        (("credentialSubject", "assessment", "outcome"), "failed"),
        (("credentialSubject", "assessment", "grade"), "A+"),
        (("credentialSubject", "exporter", "name"), "Someone Else Ltd"),
        (("validUntil",), "2099-01-01T00:00:00Z"),
        (("id",), "urn:uuid:00000000-0000-0000-0000-000000000000"),
    ],
)
def test_any_tampered_field_is_detected(credential, path, value):
    tampered = copy.deepcopy(credential)
    target = tampered
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    result = verify_credential(tampered, policy=public_policy())

    assert not result.valid
    assert result.signature.ok is False


def test_a_signature_by_another_key_is_rejected(credential):
    forger = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    forged = sign_ed25519_2020(credential, forger, credential["proof"]["created"])

    result = verify_credential(forged, policy=public_policy())

    assert result.signature.ok is True  # the forger's own signature is fine…
    assert result.issuer.ok is False  # …but the forger is not the issuer
    assert "not the issuer" in result.issuer.reason
    assert not result.valid


def test_a_proof_pointing_at_the_issuers_key_with_a_forged_signature_fails(credential):
    forged = copy.deepcopy(credential)
    forged["proof"]["proofValue"] = "z" + "1" * 86

    assert verify_credential(forged, policy=public_policy()).signature.ok is False


def test_an_expired_credential_is_invalid(credential):
    result = verify_credential(credential, policy=public_policy(), now=utcnow() + timedelta(days=400))

    assert not result.valid
    assert result.validity.ok is False and "expired" in result.validity.reason


def test_a_credential_not_yet_valid_is_invalid(credential):
    result = verify_credential(credential, policy=public_policy(), now=utcnow() - timedelta(days=1))

    assert result.validity.ok is False and "not valid before" in result.validity.reason


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda d: d.pop("proof"), "no proof"),
        (lambda d: d["proof"].update(type="RsaSignature2018"), "unsupported proof"),
        (lambda d: d["proof"].update(verificationMethod="https://elsewhere.example/key"), "cannot resolve"),
        (lambda d: d["proof"].update(proofValue="not-multibase"), "proofValue is malformed"),
        (lambda d: d["@context"].append("https://unknown.example/context"), "not one this verifier knows"),
        (lambda d: d.update(validUntil="next tuesday"), "not an ISO 8601"),
    ],
)
def test_malformed_credentials_get_a_reason_not_a_traceback(credential, change, reason):
    change(credential)

    result = verify_credential(credential, policy=public_policy())

    assert not result.valid
    assert any(reason in check.reason for check in result.checks.values()), result.as_dict()


def test_did_web_is_not_fetched_offline(credential):
    credential["issuer"] = "did:web:certify.example.org"
    credential["proof"]["verificationMethod"] = "did:web:certify.example.org#key-1"

    result = verify_credential(credential, policy=VerificationPolicy())

    assert result.signature.ok is False and "offline" in result.signature.reason
