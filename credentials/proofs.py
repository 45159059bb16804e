"""Data Integrity proofs with Ed25519: creating Ed25519Signature2020, checking it and the eddsa cryptosuites.

The signed bytes are sha256(canonical proof options) || sha256(canonical document), where the
proof options carry the document's @context (W3C vc-di-eddsa, and Digital Bazaar's
ed25519-signature-2020 suite that Inji Certify uses).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.jsonld import canonicalise_proof_and_document, canonicalise_with_pyld
from credentials.keys import KeyFormatError, SigningKey, multibase_decode, multibase_encode

ED25519_2020 = "Ed25519Signature2020"
DATA_INTEGRITY = "DataIntegrityProof"
RDFC = "eddsa-rdfc-2022"
JCS = "eddsa-jcs-2022"
SUPPORTED = f"{ED25519_2020}, {DATA_INTEGRITY} with {RDFC}, or {DATA_INTEGRITY} with {JCS}"


MISMATCH = "the signature does not match the credential: it was altered or signed by another key"


class ProofError(ValueError):
    """The proof is missing, malformed, of an unsupported suite, or does not verify."""


def sign_ed25519_2020(document: dict, key: SigningKey, created: str) -> dict:
    """Return a copy of `document` with an Ed25519Signature2020 proof."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "type": ED25519_2020,
        "created": created,
        "verificationMethod": key.verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.private_key.sign(_signing_input(unsigned, options, rdf=True))
    return {**unsigned, "proof": {**options, "proofValue": multibase_encode(signature)}}


def suite_of(proof: dict) -> str:
    if proof.get("type") == ED25519_2020:
        return ED25519_2020
    if proof.get("type") == DATA_INTEGRITY and proof.get("cryptosuite") in (RDFC, JCS):
        return proof["cryptosuite"]
    raise ProofError(f"unsupported proof {proof.get('type')!r}/{proof.get('cryptosuite')!r}; expected {SUPPORTED}")


def single_proof(document: dict) -> dict:
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("the credential has no proof (or more than one)")
    for field in ("verificationMethod", "proofValue"):
        if not isinstance(proof.get(field), str):
            raise ProofError(f"the proof has no {field}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof's purpose is not assertionMethod")
    return proof


def verify_proof(document: dict, public_key: Ed25519PublicKey) -> None:
    """Raise ProofError unless `document`'s proof is a valid signature by `public_key`."""
    proof = single_proof(document)
    suite = suite_of(proof)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if suite == JCS and "@context" in options and options["@context"] != unsigned.get("@context"):
        raise ProofError("the proof's @context differs from the credential's")
    try:
        signature = multibase_decode(proof["proofValue"])
    except KeyFormatError as exc:
        raise ProofError(f"the proofValue is malformed: {exc}") from None
    rdf = suite != JCS
    try:
        public_key.verify(signature, _signing_input(unsigned, options, rdf=rdf))
    except InvalidSignature:
        if not (rdf and _control_characters(document)):
            raise ProofError(MISMATCH) from None
        _verify_signed_before_rdfc(unsigned, options, signature, public_key)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # PyLD escaped \t, \n and \r


def _control_characters(value: Any) -> bool:
    """Whether any string in the document (bounded by credentials/limits.py) has one."""
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(_control_characters(key) or _control_characters(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_control_characters(item) for item in value)
    return False


def _verify_signed_before_rdfc(unsigned: dict, options: dict, signature: bytes, public_key: Ed25519PublicKey) -> None:
    """Certificates signed before canonicalisation moved to pyoxigraph had control characters
    written raw by PyLD, not escaped as RDFC-1.0 says; they were signed by us and keep verifying."""
    try:
        public_key.verify(signature, _signing_input(unsigned, options, rdf=True, before_rdfc=True))
    except InvalidSignature:
        raise ProofError(MISMATCH) from None


def _pyld_pair(options: dict, document: dict) -> tuple[str, str]:
    return canonicalise_with_pyld(options), canonicalise_with_pyld(document)


def _signing_input(unsigned: dict, options: dict, *, rdf: bool, before_rdfc: bool = False) -> bytes:
    options = {**options, "@context": unsigned.get("@context")}
    if rdf:
        canonicalise_both = _pyld_pair if before_rdfc else canonicalise_proof_and_document
        proof_nquads, document_nquads = canonicalise_both(options, unsigned)
        proof_bytes, document_bytes = proof_nquads.encode(), document_nquads.encode()
    else:
        proof_bytes = _jcs(options)
        document_bytes = _jcs(unsigned)
    return hashlib.sha256(proof_bytes).digest() + hashlib.sha256(document_bytes).digest()


def _jcs(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ProofError(f"the credential cannot be canonicalised as JSON (RFC 8785): {exc}") from None
