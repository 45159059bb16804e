"""Signing as Inji Certify v0.14.0 signs Ed25519Signature2020, for the tests that need its credentials.

Paths are in inji/inji-certify at tag v0.14.0, under certify-service/src/main/java/io/mosip/certify/.
W3CJsonLD.addProof (credential/W3CJsonLD.java:116-126) takes the legacy path for this suite: proof
options type, created, proofPurpose assertionMethod and verificationMethod didUrl#kid, built
without a @context (:120-123, defaultContexts(false)). CredentialUtils.generateLdProof
(utils/CredentialUtils.java:56-69) has the suite's canonicaliser hash them with the document (:62),
ld-signatures-java 1.0.0's URDNA2015Canonicalizer (proofgenerators/
Ed25519Signature2020ProofGenerator.java:28): the options under https://w3id.org/security/v3
whatever the document's @context, read here under the suite context that defines their terms
alike (the citations are in credentials/proofs.py, `_as_ld_signatures_java_reads`). The generator
then signs the 64 bytes with EdDSA and writes the signature base58btc (:41-50).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from credentials.jsonld import ED25519_2020, canonicalise
from credentials.keys import SigningKey, multibase_encode

# certify-core/src/main/java/io/mosip/certify/core/constants/Constants.java:10, UTC_DATETIME_PATTERN
CERTIFY_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def certify_time(moment: datetime) -> str:
    """A time as Certify writes validFrom/validUntil into a credential (CertifyIssuanceServiceImpl.java:
    256-268, UTC_DATETIME_PATTERN) and Instant.toString() into a status list (StatusListCredentialService.
    java:149, StatusListUpdateBatchJob.java:194): to the millisecond, in UTC."""
    return moment.astimezone(UTC).strftime(CERTIFY_TIME)[:-4] + "Z"


def sign_as_inji_certify(document: dict, key: SigningKey) -> dict:
    """A copy of `document` with the Ed25519Signature2020 proof Certify would give it."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    options = {
        "type": "Ed25519Signature2020",
        "created": _created(unsigned),
        "proofPurpose": "assertionMethod",
        "verificationMethod": key.verification_method,
    }
    proof_nquads = canonicalise({"@context": ED25519_2020, **options})
    document_nquads = canonicalise(unsigned)
    signed = hashlib.sha256(proof_nquads.encode()).digest() + hashlib.sha256(document_nquads.encode()).digest()
    return {**unsigned, "proof": {**options, "proofValue": multibase_encode(key.private_key.sign(signed))}}


def _created(document: dict) -> str:
    """W3CJsonLD.java:94-109: issuanceDate, else validFrom, else now, read with UTC_DATETIME_PATTERN (a value
    without milliseconds is refused there too); LdProof writes it to the second, in UTC
    (jsonld-common-java JsonLDUtils.java:20, :38-39, "yyyy-MM-dd'T'HH:mm:ss'Z'")."""
    valid_from = document.get("issuanceDate") or document.get("validFrom") or certify_time(datetime.now(UTC))
    moment = datetime.strptime(valid_from, CERTIFY_TIME)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
