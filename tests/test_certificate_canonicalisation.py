"""Every credential, proof and status list this service signs or checks canonicalises the same
through pyoxigraph and through PyLD, read together or apart."""

from __future__ import annotations

import json

import pytest
from pyld.canon import URDNA2015

from certificates.signing import local_signing_key
from certificates.status_lists import status_list_credential
from credentials import jsonld
from credentials.jsonld import canonicalise_proof_and_document
from credentials.proofs import sign_ed25519_2020, verify_proof
from issuance.inji import certify_claims
from tests.factories import issue_certificate, make_batch, make_inspection
from tests.shared_vectors import W3C


def through_pyld(document: dict) -> str:
    """PyLD alone: its reading of the JSON-LD, and its URDNA2015."""
    return URDNA2015().main(jsonld._read_with_pyld(document), {"format": "application/n-quads"})


def through_oxigraph(document: dict) -> str:
    contexts = jsonld.pyoxigraph_contexts(document)
    assert contexts is not None, "would go to PyLD"
    return jsonld._canonicalise_with_oxigraph(document, contexts)


def shapes_we_sign_and_verify(batch) -> dict[str, dict]:
    certificate = issue_certificate(make_inspection(batch, notes="Re-tested after drying.\nSecond line."))
    credential = certificate.credential
    proof_options = {
        **{k: v for k, v in credential["proof"].items() if k != "proofValue"},
        "@context": credential["@context"],
    }
    organic = issue_certificate(
        make_inspection(
            make_batch("ORGANIC-7", quantity=0.5, variety="Sona Masoori — “A” 日本"),
            organic=True,
            moisture_percent=12.0,
            foreign_matter_percent=0,
        )
    ).credential
    from tests.fake_inji import FakeInjiCertify

    inji = FakeInjiCertify().render(
        certify_claims(batch, make_inspection(batch)), holder="did:key:z6MkholderPlaceholder"
    )
    return {
        "certificate": {k: v for k, v in credential.items() if k != "proof"},
        "proof options": proof_options,
        "organic certificate, integral float, zero, unicode": {k: v for k, v in organic.items() if k != "proof"},
        "status list": {k: v for k, v in status_list_credential(certificate.status_list_id).items() if k != "proof"},
        "Inji Certify's credential (our template)": {k: v for k, v in inji.items() if k != "proof"},
    }


def test_every_shape_we_sign_and_verify_canonicalises_the_same_both_ways(batch):
    for name, document in shapes_we_sign_and_verify(batch).items():
        assert through_oxigraph(document) == through_pyld(document), name


def test_a_proof_and_its_document_read_together_canonicalise_as_if_read_apart(batch):
    """Signing and verifying read the proof options and the document in one pass (see
    canonicalise_proof_and_document): for every proof we make or check, the result is PyLD's, apart."""
    w3c = json.loads((W3C / "signed-eddsa-rdfc-2022.json").read_text(encoding="utf-8"))
    signed = {name: document for name, document in shapes_we_sign_and_verify(batch).items() if name != "proof options"}
    key = local_signing_key()
    proofs = {name: sign_ed25519_2020(document, key, "2026-01-01T00:00:00Z") for name, document in signed.items()}
    proofs["W3C eddsa-rdfc-2022 vector (DataIntegrityProof)"] = w3c
    for name, credential in proofs.items():
        document = {k: v for k, v in credential.items() if k != "proof"}
        options = {
            **{k: v for k, v in credential["proof"].items() if k != "proofValue"},
            "@context": document["@context"],
        }
        assert jsonld.pyoxigraph_contexts(document) is not None, name
        assert canonicalise_proof_and_document(options, document) == (through_pyld(options), through_pyld(document)), (
            name
        )


def test_a_certificate_pyld_signed_with_a_form_feed_still_verifies(batch, monkeypatch):
    """Before pyoxigraph, PyLD wrote most control characters raw; such certificates were signed by us
    (before text fields refused control characters: the old batch is written as it was stored)."""
    type(batch).objects(pk=batch.pk).update_one(set__farm="Green\x0cValley")
    batch.reload()
    credential = issue_certificate(make_inspection(batch)).credential
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    key = local_signing_key()
    with monkeypatch.context() as patch:
        patch.setattr(jsonld, "_contexts_of", lambda document: None)
        signed_by_pyld = sign_ed25519_2020(unsigned, key, credential["proof"]["created"])
    assert signed_by_pyld["proof"]["proofValue"] != credential["proof"]["proofValue"]

    verify_proof(signed_by_pyld, key.private_key.public_key())  # raises if it does not verify
    verify_proof(credential, key.private_key.public_key())
    signed_by_pyld["credentialSubject"]["assessedProduct"]["farm"] = "Green\x0cValleys"
    with pytest.raises(ValueError, match="does not match"):
        verify_proof(signed_by_pyld, key.private_key.public_key())
