"""Issuing credentials: the local mock issuer or Inji Certify, behind one function.

    issue_credential(batch, inspection, certificate_key=...) -> IssuedCredential

raises TransientIssuerError (retry later) or PermanentIssuerError (do not retry).
"""

from __future__ import annotations

from django.conf import settings

from certificates.credential_document import credential_subject
from certificates.models import Batch, Inspection
from issuance.inji.errors import IssuerError, PermanentIssuerError, TransientIssuerError
from issuance.inji.result import IssuedCredential

__all__ = [
    "IssuedCredential",
    "IssuerError",
    "PermanentIssuerError",
    "TransientIssuerError",
    "certify_claims",
    "issue_credential",
]


def issue_credential(batch: Batch, inspection: Inspection, *, certificate_key: str) -> IssuedCredential:
    if settings.INJI_MOCK_MODE:
        from issuance.inji.mock import issue
        from issuance.metrics import ISSUER_SECONDS

        with ISSUER_SECONDS.labels("issue").time():
            return issue(batch, inspection, certificate_key=certificate_key)
    from issuance.inji.certify import default_client

    return default_client().issue(certify_claims(batch, inspection), certificate_key=certificate_key)


def certify_claims(batch: Batch, inspection: Inspection) -> dict:
    """What Inji Certify's template puts in credentialSubject: its top-level members, nested
    objects as objects. `type` is left out: Certify sets it from the request
    (CertifyIssuanceServiceImpl.getVerifiableCredential) and the template fixes it."""
    subject = credential_subject(batch, inspection)
    return {key: value for key, value in subject.items() if key != "type"}


def publish_revocation(credential: dict) -> None:
    """Set an Inji-issued credential's revocation bit at Inji Certify (certificates.status_lists calls this)."""
    from certificates.status_lists import PublishError
    from issuance.inji.certify import default_client, revocation_entry

    if not settings.INJI_API_URL:
        raise PublishError("INJI_API_URL is not set, so Inji Certify cannot be told")
    entry = revocation_entry(credential)
    if entry is None:
        raise PublishError("the credential has no revocation status entry")
    try:
        default_client().revoke(entry)
    except IssuerError as exc:
        raise PublishError(str(exc)) from None
