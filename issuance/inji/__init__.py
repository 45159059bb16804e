"""Issuing credentials: the local mock issuer or Inji Certify, behind one function.

    issue_credential(batch, inspection, certificate_key=..., received=...) -> IssuedCredential

raises TransientIssuerError (retry later) or PermanentIssuerError (do not retry). With Inji
Certify, `received(credential)` is called with Certify's answer before it is checked, so the worker
keeps it first; `accept_answer` checks a kept answer later, `revoke_at_certify` revokes one.
"""

from __future__ import annotations

from collections.abc import Callable

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
    "accept_answer",
    "certify_claims",
    "issue_credential",
    "revoke_at_certify",
]


def issue_credential(
    batch: Batch, inspection: Inspection, *, certificate_key: str, received: Callable[[dict], None] | None = None
) -> IssuedCredential:
    if settings.INJI_MOCK_MODE:
        from issuance.inji.mock import issue
        from issuance.metrics import ISSUER_SECONDS

        with ISSUER_SECONDS.labels("issue").time():
            return issue(batch, inspection, certificate_key=certificate_key, received=received)
    from issuance.inji.certify import default_client

    claims = certify_claims(batch, inspection)
    return default_client().issue(claims, certificate_key=certificate_key, received=received)


def accept_answer(batch: Batch, inspection: Inspection, credential: dict, *, certificate_key: str) -> IssuedCredential:
    """Check a credential Inji Certify returned to an earlier attempt, as a fresh one is checked."""
    from issuance.inji.certify import default_client

    return default_client().accept(credential, certify_claims(batch, inspection), certificate_key)


def revoke_at_certify(status_entry: dict) -> None:
    """Set a credential's revocation bit at Inji Certify through its credentialStatus entry."""
    from issuance.inji.certify import default_client

    if not settings.INJI_API_URL:
        raise PermanentIssuerError("INJI_API_URL is not set, so Inji Certify cannot be told")
    default_client().revoke(status_entry)


def certify_claims(batch: Batch, inspection: Inspection) -> dict:
    """What Inji Certify's template puts in credentialSubject: its top-level members, nested
    objects as objects. `type` is left out: Certify sets it from the request
    (CertifyIssuanceServiceImpl.getVerifiableCredential) and the template fixes it."""
    subject = credential_subject(batch, inspection)
    return {key: value for key, value in subject.items() if key != "type"}


def publish_revocation(credential: dict) -> None:
    """Set an Inji-issued credential's revocation bit at Inji Certify (certificates.status_lists calls this)."""
    from certificates.status_lists import PublishError
    from issuance.inji.certify import revocation_entry

    entry = revocation_entry(credential)
    if entry is None:
        raise PublishError("the credential has no revocation status entry")
    try:
        revoke_at_certify(entry)
    except IssuerError as exc:
        raise PublishError(str(exc)) from None
