"""Data Integrity proofs with Ed25519: creating Ed25519Signature2020, checking it and the eddsa cryptosuites.

The signed bytes are sha256(canonical proof options) || sha256(canonical document). W3C Data
Integrity (vc-di-eddsa, and Digital Bazaar's ed25519-signature-2020 suite) reads the proof options
under the document's @context, and so do we when signing. Inji Certify signs Ed25519Signature2020
with ld-signatures-java, which reads them under its own security context whatever the document's
(`_as_ld_signatures_java_reads`): the verifier accepts that reading too, and says so.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.jsonld import ED25519_2020 as SUITE_CONTEXT
from credentials.jsonld import (
    CanonicalisationError,
    canonicalise,
    canonicalise_proof_and_document,
    canonicalise_with_pyld,
)
from credentials.keys import KeyFormatError, SigningKey, multibase_decode, multibase_encode

ED25519_2020 = "Ed25519Signature2020"
DATA_INTEGRITY = "DataIntegrityProof"
RDFC = "eddsa-rdfc-2022"
JCS = "eddsa-jcs-2022"
SUPPORTED = f"{ED25519_2020}, {DATA_INTEGRITY} with {RDFC}, or {DATA_INTEGRITY} with {JCS}"
READ_AS_LD_SIGNATURES_JAVA = "proof options read as ld-signatures-java reads them"


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


def verify_proof(document: dict, public_key: Ed25519PublicKey) -> str:
    """Raise ProofError unless `document`'s proof is a valid signature by `public_key`; return how it
    was signed, in words: its suite, and how its options were read when not the W3C way."""
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
    if suite == JCS:
        if not _holds(signature, public_key, _signing_input(unsigned, options, rdf=False)):
            raise ProofError(MISMATCH)
        return suite
    return _verify_rdf(unsigned, options, signature, public_key, suite)


def _verify_rdf(unsigned: dict, options: dict, signature: bytes, public_key: Ed25519PublicKey, suite: str) -> str:
    """The W3C reading first, then Inji Certify's (`_as_ld_signatures_java_reads`) when that one
    fails and the two could differ: for an Ed25519Signature2020 proof on a document that does not
    list the suite's context (when it does, the suite's protected terms make the readings one).
    Such a document's options are read alone, as its context may leave their terms undefined. The
    document is canonicalised once in every case; a second reading costs only the small options."""
    ours = {**options, "@context": unsigned.get("@context")}
    theirs = None
    if suite == ED25519_2020 and not _lists(unsigned.get("@context"), SUITE_CONTEXT):
        theirs = _as_ld_signatures_java_reads(options)
    if theirs is None:
        ours_nquads, document_nquads = canonicalise_proof_and_document(ours, unsigned)
    else:
        ours_nquads, document_nquads = _canonical_or_none(ours), canonicalise(unsigned)
    if ours_nquads is not None and _holds(signature, public_key, _digests(ours_nquads, document_nquads)):
        return suite
    if theirs is not None:
        theirs_nquads = canonicalise(theirs)
        if theirs_nquads != ours_nquads and _holds(signature, public_key, _digests(theirs_nquads, document_nquads)):
            return f"{suite}, {READ_AS_LD_SIGNATURES_JAVA}"
    if ours_nquads is not None and _control_characters([unsigned, options]):
        _verify_signed_before_rdfc(unsigned, options, signature, public_key)
        return suite
    raise ProofError(MISMATCH)


def _as_ld_signatures_java_reads(options: dict) -> dict | None:
    """The proof options as Inji Certify signs them, or None for a proof that carries its own
    @context (Certify's never do: W3CJsonLD.java:120 builds them with defaultContexts(false)).

    Inji Certify v0.14.0 signs Ed25519Signature2020 with ld-signatures-java 1.0.0
    (certify-service/pom.xml:132-135; W3CJsonLD.java:116-126 → CredentialUtils.java:59-62 →
    Ed25519Signature2020ProofGenerator.java:28, a URDNA2015Canonicalizer). In ld-signatures-java
    1.0.0, URDNA2015Canonicalizer.java:24-28 rebuilds the proof without its proofValue and with
    `defaultContexts(true)`: its @context becomes LdProof.DEFAULT_JSONLD_CONTEXTS (LdProof.java:17),
    https://w3id.org/security/v3 alone, whatever the document's @context; the document is read under
    its own (:32-36, :40-41), and the two sha256 digests are joined (:45-47). security/v3 is the
    library's bundled security-v3-unstable.jsonld (LDSecurityContexts.java:17, :38-39), never
    published as a stable context. Its Ed25519Signature2020 term and that of
    https://w3id.org/security/suites/ed25519-2020/v1 (which we bundle) give every term such a proof
    carries (type, created, verificationMethod, proofPurpose, domain, challenge, nonce, expires) the
    same IRI and type; they differ only in proofValue's type, which is not signed, and in an
    @version. So the suite context reads them to the same quads: Certify's own credentials and
    status lists verify this way (tests/engine/test_inji_signed_vectors.py)."""
    if "@context" in options:
        return None
    return {"@context": SUITE_CONTEXT, **options}


def _canonical_or_none(options: dict) -> str | None:
    """The options' canonical form under the document's context, or None when it leaves their terms
    undefined (Certify's status lists name only the VC context)."""
    try:
        return canonicalise(options)
    except CanonicalisationError:
        return None


def _lists(contexts: Any, url: str) -> bool:
    return url in contexts if isinstance(contexts, list) else contexts == url


def _holds(signature: bytes, public_key: Ed25519PublicKey, signed: bytes) -> bool:
    try:
        public_key.verify(signature, signed)
    except InvalidSignature:
        return False
    return True


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
    if not _holds(signature, public_key, _signing_input(unsigned, options, rdf=True, before_rdfc=True)):
        raise ProofError(MISMATCH)


def _pyld_pair(options: dict, document: dict) -> tuple[str, str]:
    return canonicalise_with_pyld(options), canonicalise_with_pyld(document)


def _digests(proof_nquads: str, document_nquads: str) -> bytes:
    return hashlib.sha256(proof_nquads.encode()).digest() + hashlib.sha256(document_nquads.encode()).digest()


def _signing_input(unsigned: dict, options: dict, *, rdf: bool, before_rdfc: bool = False) -> bytes:
    options = {**options, "@context": unsigned.get("@context")}
    if not rdf:
        return hashlib.sha256(_jcs(options)).digest() + hashlib.sha256(_jcs(unsigned)).digest()
    canonicalise_both = _pyld_pair if before_rdfc else canonicalise_proof_and_document
    return _digests(*canonicalise_both(options, unsigned))


def _jcs(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise ProofError(f"the credential cannot be canonicalised as JSON (RFC 8785): {exc}") from None
