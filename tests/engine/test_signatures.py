"""Signatures of every supported suite on the W3C's vectors: they verify, tampering is caught, and
our signer reproduces theirs. The vectors are in ../shared/vectors/w3c."""

from __future__ import annotations

import json

import pytest

from credentials.dids import did_web_url
from credentials.keys import SigningKey, private_key_from_multibase, public_key_from_multibase
from credentials.policy import VerificationPolicy
from credentials.proofs import sign_ed25519_2020
from credentials.verification import verify_credential
from tests.shared_vectors import W3C

VECTOR_KEY = json.loads((W3C / "keyPair.json").read_text())
VECTOR_METHOD = "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
KNOWN = {VECTOR_METHOD: public_key_from_multibase(VECTOR_KEY["publicKeyMultibase"])}
TRUST_THE_VECTORS = VerificationPolicy(trusted_issuers=frozenset({"https://vc.example/issuers/5678"}))


def vector(name: str) -> dict:
    return json.loads((W3C / f"signed-{name}.json").read_text())


@pytest.mark.parametrize("suite", ["ed25519-2020", "eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_w3c_test_vectors_verify(suite):
    result = verify_credential(vector(suite), known_keys=KNOWN, policy=TRUST_THE_VECTORS)

    assert result.valid, result.as_dict()
    assert result.issuer.ok is True


@pytest.mark.parametrize("suite", ["ed25519-2020", "eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_tampered_test_vectors_fail(suite):
    document = vector(suite)
    document["credentialSubject"]["alumniOf"] = "The School of Forgery"

    result = verify_credential(document, known_keys=KNOWN, policy=TRUST_THE_VECTORS)

    assert not result.valid
    assert "altered" in result.signature.reason


def test_our_signer_reproduces_a_w3c_signature_for_the_same_input():
    document = vector("ed25519-2020")
    key = private_key_from_multibase(VECTOR_KEY["privateKeyMultibase"])
    signer = SigningKey(key, "https://vc.example/issuers/5678", VECTOR_METHOD)

    resigned = sign_ed25519_2020(document, signer, document["proof"]["created"])

    assert resigned["proof"]["proofValue"] == document["proof"]["proofValue"]  # Ed25519 is deterministic


def test_did_web_documents_are_looked_up_at_the_standard_addresses():
    assert did_web_url("did:web:certify.example.org") == "https://certify.example.org/.well-known/did.json"
    assert did_web_url("did:web:example.org:issuers:42") == "https://example.org/issuers/42/did.json"
    assert did_web_url("did:web:localhost%3A8443") == "https://localhost:8443/.well-known/did.json"


def test_a_did_web_key_is_resolved_only_through_the_policys_fetcher():
    document = vector("ed25519-2020")
    did = "did:web:issuer.example"
    document["issuer"] = did
    fetched = []

    def fetch(url):
        fetched.append(url)
        key = VECTOR_KEY["publicKeyMultibase"]
        return {"id": did, "verificationMethod": [{"id": f"{did}#key-1", "publicKeyMultibase": key}]}

    document["proof"]["verificationMethod"] = f"{did}#key-1"
    offline = verify_credential(document, policy=VerificationPolicy(trusted_issuers=frozenset({did})))
    online = VerificationPolicy(trusted_issuers=frozenset({did}), fetch_did_web=frozenset({did}), fetch=fetch)
    result = verify_credential(document, policy=online)

    assert offline.signature.ok is False and "offline" in offline.signature.reason and fetched == [did_web_url(did)]
    assert "altered" in result.signature.reason  # the key was found; the proof names another method now
