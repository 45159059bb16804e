"""What the fake Inji Certify hands out is signed as Certify signs it, and our verifier reads it.

Certify's status lists name only the VC context, so their proof options verify only as
ld-signatures-java reads them; its credentials from deploy/inji's template list the suite context,
where that reading and the W3C one are the same (tests/inji_certify_signing.py cites the Java).
"""

from __future__ import annotations

import re

import pytest
import requests

from credentials.policy import VerificationPolicy
from credentials.proofs import READ_AS_LD_SIGNATURES_JAVA
from credentials.verification import verify_credential
from issuance.inji import certify_claims
from issuance.inji.certify import CertifyClient
from issuance.inji.holder import HolderKey, did_key, generate
from tests.factories import make_inspection
from tests.fake_inji import FakeInjiCertify

CERTIFY_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")  # UTC_DATETIME_PATTERN


@pytest.fixture
def inji():
    server = FakeInjiCertify().start()
    yield server
    server.stop()


def trusting(inji: FakeInjiCertify) -> VerificationPolicy:
    return VerificationPolicy(
        trusted_issuers=frozenset({inji.did}), status_list_prefixes=frozenset({inji.url + "/credentials/status-list/"})
    )


def test_the_status_list_names_only_the_vc_context_and_verifies_as_certify_signed_it(inji):
    status_list = requests.get(inji.url + "/credentials/status-list/agri-1", timeout=5).json()

    result = verify_credential(status_list, policy=trusting(inji))

    assert status_list["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert status_list["credentialSubject"]["id"] == status_list["id"] == inji.url + "/credentials/status-list/agri-1"
    assert CERTIFY_TIME.fullmatch(status_list["validFrom"])
    assert status_list["proof"]["created"] == status_list["validFrom"][:19] + "Z"
    assert result.valid, result.as_dict()
    assert result.signature.reason.endswith(f"(Ed25519Signature2020, {READ_AS_LD_SIGNATURES_JAVA})")


@pytest.mark.django_db
def test_a_credential_verifies_with_its_status_read_from_certifys_list(inji, batch):
    key = generate("ES256")
    holder = HolderKey(key, "ES256", did_key(key))
    client = CertifyClient(inji.url, holder=holder, issuer_did=inji.did, configuration_id="AgriQualityCertificate")
    credential = client.issue(certify_claims(batch, make_inspection(batch)), certificate_key="k:0").document

    result = verify_credential(credential, policy=trusting(inji))

    assert CERTIFY_TIME.fullmatch(credential["validFrom"]) and CERTIFY_TIME.fullmatch(credential["validUntil"])
    assert credential["proof"]["created"] == credential["validFrom"][:19] + "Z"
    assert result.valid, result.as_dict()
    assert result.signature.reason.endswith("(Ed25519Signature2020)")  # the template lists the suite context
    assert result.revocation.reason == "not revoked"
