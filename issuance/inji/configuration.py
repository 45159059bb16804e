"""What Inji Certify must be told about AgriQCert certificates: the credential configuration that
`manage.py inji_credential_configuration` prints for POST {Certify}/credential-configurations
(CredentialConfigController.java, CredentialConfigurationDTO.java), with deploy/inji's template."""

from __future__ import annotations

import base64
from pathlib import Path

from django.conf import settings

from certificates.credential_document import CREDENTIAL_TYPE, contexts

TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "inji" / "AgriQualityCertificate.vm"
CONTEXT_PLACEHOLDER = "@@AGRIQCERT_CONTEXT_URL@@"
SCOPE = "agri_quality_certificate"

# The claims pushed to /pre-authorized-data (issuance.inji.certify_claims) and how a wallet labels
# them. Certify refuses a claim its configuration does not list (unknown_claims).
CLAIMS = {
    "exporter": "Exporter",
    "assessedProduct": "Assessed product",
    "assessment": "Quality assessment",
}


def template() -> str:
    """The Velocity template with this deployment's context URL (signed into every credential)."""
    return TEMPLATE.read_text().replace(CONTEXT_PLACEHOLDER, contexts()[-1])


def credential_configuration() -> dict:
    return {
        "credentialConfigKeyId": settings.INJI_CREDENTIAL_CONFIGURATION_ID,
        "credentialFormat": "ldp_vc",
        "contextURLs": contexts(),
        "credentialTypes": ["VerifiableCredential", CREDENTIAL_TYPE],
        "vcTemplate": base64.b64encode(template().encode()).decode(),
        "scope": SCOPE,
        "didUrl": settings.INJI_ISSUER_DID or "did:web:certify.example.org",
        # Inji Verify accepts only the 2018/2020 suites; our verifier reads Ed25519Signature2020.
        "signatureCryptoSuite": "Ed25519Signature2020",
        "signatureAlgo": "EdDSA",
        "keyManagerAppId": "CERTIFY_VC_SIGN_ED25519",
        "keyManagerRefId": "ED25519_SIGN",
        "credentialStatusPurposes": ["revocation"],
        # Certify reads these into MetaDataDisplayDTO (v0.14.0), whose JSON names are snake_case
        # (@JsonProperty "background_color", "text_color"); others are dropped without a word.
        "metaDataDisplay": [
            {
                "name": "Agricultural quality certificate",
                "locale": "en",
                "background_color": "#1f5130",
                "text_color": "#ffffff",
            }
        ],
        "displayOrder": list(CLAIMS),
        "credentialSubjectDefinition": {
            claim: {"display": [{"name": label, "locale": "en"}]} for claim, label in CLAIMS.items()
        },
    }
