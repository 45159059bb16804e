"""Credentials and status lists as Inji Certify signs them get the verdicts Inji's own verifier gives.

Certify (ld-signatures-java) reads an Ed25519Signature2020 proof's options under its security
context, whatever the credential's @context (credentials/proofs.py cites the lines); W3C Data
Integrity reads them under the credential's. The vectors are those MOSIP's vc-verifier is tested
with (../shared/vectors/mosip-vc-verifier); each verdict is the one its Kotlin tests expect
(CredentialsVerifierTest.kt, LdpVerifierTest.kt): valid, revoked, tampered or invalid. Their DID
documents and status lists come through the policy, as a deployment's fetcher would bring them.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials import jsonld, proofs
from credentials.dids import did_web_url
from credentials.fetching import FetchError
from credentials.keys import SigningKey
from credentials.policy import VerificationPolicy
from credentials.proofs import READ_AS_LD_SIGNATURES_JAVA, sign_ed25519_2020
from credentials.status_list import encode_bitstring
from credentials.verification import verify_credential
from tests.inji_certify_signing import certify_time, sign_as_inji_certify
from tests.shared_vectors import MOSIP

VECTORS = MOSIP / "ldp_vc"
MOCK_DID = "did:web:mosip.github.io:inji-config:qa-inji1:mock"  # Certify's mock deployment
SUNBIRD_DID = "did:web:api.released.mosip.net:identity-service:02b073b8-aacd-472e-b63f-265bb7ccdd9f"
STATUS_LIST = "https://injicertify-mock.qa-inji1.mosip.net/v1/certify/credentials/status-list/56622ad1-c304-4d7a-baf0-08836d63c2bf"
# Inside every vector's validity period (the Sunbird one expired in March 2025).
MOSIP_NOW = datetime(2026, 1, 15, tzinfo=UTC)
SUNBIRD_NOW = datetime(2025, 3, 1, tzinfo=UTC)
PROOF_TERMS_CONTEXT = "https://vocab.test/proof-terms/v1"
# The contexts the vectors name besides the W3C ones we bundle, where vc-verifier's tests read them
# (LocalDocumentLoader.kt): from the shared vectors, registered for these tests only.
VECTOR_CONTEXTS = {
    "https://mosip.github.io/inji-config/contexts/mock-identity-context.json": (
        MOSIP / "contexts/mock-identity-context.json"
    ),
    "https://www.w3.org/ns/odrl.jsonld": MOSIP / "contexts/odrl-context.json",
    "https://holashchand.github.io/test_project/insurance-context.json": MOSIP / "contexts/insurance-context.json",
}


@pytest.fixture(autouse=True)
def vector_contexts(tmp_path):
    """The vectors' contexts, and one that names the proof's terms otherwise than the suite does."""
    proof_terms = tmp_path / "proof-terms.jsonld"
    proof_terms.write_text(
        json.dumps(
            {
                "@context": {
                    "Ed25519Signature2020": "https://vocab.test/proof-terms#Signature",
                    "created": "https://vocab.test/proof-terms#created",
                    "proofPurpose": "https://vocab.test/proof-terms#purpose",
                    "verificationMethod": {"@id": "https://vocab.test/proof-terms#method", "@type": "@id"},
                    "assertionMethod": "https://vocab.test/proof-terms#assertionMethod",
                }
            }
        )
    )
    contexts = {**VECTOR_CONTEXTS, PROOF_TERMS_CONTEXT: proof_terms}
    previous = jsonld.bundle_contexts(lambda: {**previous(), **contexts})
    yield
    jsonld.bundle_contexts(previous)


def vector(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def policy(status_list: str | None = None) -> VerificationPolicy:
    """Trusts the vectors' issuers; their DID documents come from the shared vectors, and the status
    list is the one the test holds (as CredentialsVerifierTest.kt mocks the HTTP answer)."""
    documents: dict[str, Path] = {
        did_web_url(MOCK_DID): VECTORS / "mockDid.json",
        did_web_url(SUNBIRD_DID): VECTORS / "public_key" / "didMosipKey.json",
    }

    def fetch(url: str) -> dict:
        if url not in documents:
            raise FetchError("not one of the vectors")
        return json.loads(documents[url].read_text())

    def held_status_list(url: str) -> tuple[bool, dict | None]:
        if url != STATUS_LIST or status_list is None:
            return False, None
        return True, vector(status_list)

    issuers = frozenset({MOCK_DID, SUNBIRD_DID})
    return VerificationPolicy(
        trusted_issuers=issuers, fetch_did_web=issuers, fetch=fetch, held_status_list=held_status_list
    )


# -- valid and revoked: CredentialsVerifierTest.kt, "should verify VC and return StatusList …" -----


def test_a_credential_inji_certify_signed_is_valid_and_says_how_its_proof_was_read():
    result = verify_credential(
        vector("mosipUnrevokedVC.json"), policy=policy("mosipUnrevokedStatusList.json"), now=MOSIP_NOW
    )

    assert result.valid, result.as_dict()
    assert result.signature.reason == (
        f"signed by {MOCK_DID}#kMVyZTvx8G0h1YZnUW4OJtr2LRVZUuGl8pQuJl3ymXI "
        f"(Ed25519Signature2020, {READ_AS_LD_SIGNATURES_JAVA})"
    )
    assert result.revocation.ok is True and result.revocation.reason == "not revoked"


def test_a_credential_inji_certify_revoked_is_seen_revoked_on_its_signed_status_list():
    result = verify_credential(
        vector("mosipRevokedVC.json"), policy=policy("mosipRevokedStatusList.json"), now=MOSIP_NOW
    )

    assert result.signature.ok is True and result.trust.ok is True
    assert result.revocation.ok is False and result.revocation.reason == "revoked by its issuer"
    assert not result.valid


@pytest.mark.parametrize("name", ["mosipUnrevokedStatusList.json", "mosipRevokedStatusList.json"])
def test_status_lists_inji_certify_signs_with_only_the_vc_context_verify(name):
    status_list = vector(name)

    result = verify_credential(status_list, policy=policy(), now=MOSIP_NOW)

    assert status_list["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert result.signature.ok is True, result.signature.reason
    assert READ_AS_LD_SIGNATURES_JAVA in result.signature.reason


def test_a_status_list_altered_to_unrevoke_is_not_trusted():
    forged = vector("mosipRevokedStatusList.json")
    forged["credentialSubject"]["encodedList"] = encode_bitstring([])
    held = policy()
    held = VerificationPolicy(
        trusted_issuers=held.trusted_issuers,
        fetch_did_web=held.fetch_did_web,
        fetch=held.fetch,
        held_status_list=lambda url: (True, forged),
    )

    result = verify_credential(vector("mosipRevokedVC.json"), policy=held, now=MOSIP_NOW)

    assert result.revocation.ok is False
    assert result.revocation.reason == f"the status list is not trustworthy: {proofs.MISMATCH}"


# -- valid: LdpVerifierTest.kt "should successfully verify valid sunbird credential" -----------------


def test_a_sunbird_credential_with_the_suite_context_verifies_the_w3c_way():
    result = verify_credential(vector("Ed25519Signature2020SignedSunbirdVC.json"), policy=policy(), now=SUNBIRD_NOW)

    assert result.signature.ok is True, result.signature.reason
    assert result.signature.reason == f"signed by {SUNBIRD_DID}#key-0 (Ed25519Signature2020)"
    assert result.issuer.ok is True


# -- tampered and invalid: "should return false for invalid credential …", "… did url is not valid" --


def test_the_tampered_vector_fails_its_signature_check():
    result = verify_credential(vector("tamperedVC.json"), policy=policy(), now=MOSIP_NOW)

    # An RsaSignature2018 whose key is an https URL: we verify neither, so it is refused unread.
    assert result.signature.ok is False and result.signature.reason
    assert not result.valid


def test_the_vector_without_a_context_is_refused_with_a_reason():
    result = verify_credential(vector("invalidVC.json"), policy=policy(), now=MOSIP_NOW)

    assert not result.valid
    assert [check.reason for check in result.checks.values() if check.ok is False]


def test_a_verification_method_of_an_unknown_did_method_is_refused_naming_it():
    result = verify_credential(vector("InvalidDidUrlSunbirdVC.json"), policy=policy(), now=SUNBIRD_NOW)

    assert result.signature.ok is False
    assert "did:web1:" in result.signature.reason


@pytest.mark.parametrize(
    "name, tamper",
    [
        ("mosipUnrevokedVC.json", lambda c: c["credentialSubject"].update(UIN=654321)),
        ("mosipUnrevokedVC.json", lambda c: c.update(validUntil="2099-11-11T05:46:46.174Z")),
        ("mosipUnrevokedVC.json", lambda c: c["proof"].update(created="2025-11-12T05:46:46Z")),
        ("mosipUnrevokedStatusList.json", lambda c: c["credentialSubject"].update(statusPurpose="suspension")),
    ],
    ids=["claim", "validity", "proof date", "status list"],
)
def test_what_inji_certify_signed_fails_once_altered(name, tamper):
    altered = vector(name)
    tamper(altered)

    result = verify_credential(altered, policy=policy("mosipUnrevokedStatusList.json"), now=MOSIP_NOW)

    assert result.signature.ok is False
    assert result.signature.reason == proofs.MISMATCH


# -- both readings, on credentials of our own making --------------------------------------------


@pytest.fixture
def issuer() -> SigningKey:
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


def produce(issuer: SigningKey, *contexts: str) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", *contexts],
        "type": ["VerifiableCredential"],
        "issuer": issuer.did,
        "validFrom": certify_time(datetime(2026, 1, 1, tzinfo=UTC)),
        "credentialSubject": {"id": "urn:uuid:4c5b8f0e-0d59-4b7a-9a39-2a2f8f7f0c11", "name": "Coffee, lot 7"},
    }


def signed(way: str, issuer: SigningKey, *contexts: str) -> dict:
    document = produce(issuer, *contexts)
    if way == "w3c":
        return sign_ed25519_2020(document, issuer, "2026-01-01T00:00:00Z")
    return sign_as_inji_certify(document, issuer)


def verdict(credential: dict) -> tuple[bool | None, str]:
    result = verify_credential(credential, policy=VerificationPolicy(), now=MOSIP_NOW)
    return result.signature.ok, result.signature.reason


def test_where_the_two_readings_differ_each_signature_verifies_and_says_which_held(issuer):
    w3c_ok, w3c_reason = verdict(signed("w3c", issuer, PROOF_TERMS_CONTEXT))
    certify_ok, certify_reason = verdict(signed("certify", issuer, PROOF_TERMS_CONTEXT))

    assert w3c_ok is True and w3c_reason.endswith("(Ed25519Signature2020)")
    assert certify_ok is True and certify_reason.endswith(f"(Ed25519Signature2020, {READ_AS_LD_SIGNATURES_JAVA})")


def test_with_the_suite_context_the_readings_are_one_and_the_w3c_way_is_named(issuer):
    for way in ("w3c", "certify"):
        assert verdict(signed(way, issuer, jsonld.ED25519_2020)) == (
            True,
            f"signed by {issuer.verification_method} (Ed25519Signature2020)",
        )


@pytest.mark.parametrize(
    "way, contexts",
    [
        ("certify", ()),  # the W3C way cannot sign options that the VC context leaves undefined
        ("certify", (PROOF_TERMS_CONTEXT,)),
        ("w3c", (PROOF_TERMS_CONTEXT,)),
        ("certify", (jsonld.ED25519_2020,)),
        ("w3c", (jsonld.ED25519_2020,)),
    ],
)
def test_an_altered_credential_fails_both_readings(issuer, way, contexts):
    altered = copy.deepcopy(signed(way, issuer, *contexts))
    altered["credentialSubject"]["name"] = "Coffee, lot 8"

    assert verdict(altered) == (False, proofs.MISMATCH)


@pytest.mark.parametrize(
    "way, contexts, reads",
    [
        ("w3c", (jsonld.ED25519_2020,), ["options and document"]),
        ("certify", (), ["options", "document", "options"]),
        ("certify", (PROOF_TERMS_CONTEXT,), ["options", "document", "options"]),
    ],
    ids=["ours", "certify's", "another context's"],
)
def test_an_altered_credential_costs_one_reading_of_the_document(issuer, monkeypatch, way, contexts, reads):
    """A forgery never pays for canonicalising the document twice; the second reading, of the
    options alone, only where the credential's context is not the suite's."""
    altered = signed(way, issuer, *contexts)
    altered["credentialSubject"]["name"] = "Coffee, lot 8"
    read = []

    def canonicalise(document):
        read.append("options" if document.get("type") == "Ed25519Signature2020" else "document")
        return jsonld.canonicalise(document)

    def canonicalise_proof_and_document(options, document):
        read.append("options and document")
        return jsonld.canonicalise_proof_and_document(options, document)

    monkeypatch.setattr(proofs, "canonicalise", canonicalise)
    monkeypatch.setattr(proofs, "canonicalise_proof_and_document", canonicalise_proof_and_document)

    assert verdict(altered) == (False, proofs.MISMATCH)
    assert read == reads


@pytest.mark.parametrize("contexts", [(), (jsonld.ED25519_2020,)], ids=["vc", "suite"])
def test_a_term_no_context_defines_is_refused_by_name_whichever_reading(issuer, contexts):
    document = produce(issuer, *contexts)
    document["credentialSubject"]["unsignable"] = "no context defines me"
    proof = sign_as_inji_certify(produce(issuer, *contexts), issuer)["proof"]

    assert verdict({**document, "proof": proof}) == (
        False,
        "the term 'unsignable' is not defined by the credential's contexts, so a signature could not cover it",
    )
