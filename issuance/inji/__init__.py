"""Issuing credentials: the local mock issuer or Inji Certify, behind one function.

    issue_credential(batch, inspection, certificate_key=...) -> IssuedCredential

raises TransientIssuerError (retry later) or PermanentIssuerError (do not retry).
"""

from __future__ import annotations

from django.conf import settings

from certificates.models import Batch, Inspection
from issuance.inji.errors import IssuerError, PermanentIssuerError, TransientIssuerError
from issuance.inji.result import IssuedCredential

__all__ = ["IssuedCredential", "IssuerError", "PermanentIssuerError", "TransientIssuerError", "issue_credential"]


def issue_credential(batch: Batch, inspection: Inspection, *, certificate_key: str) -> IssuedCredential:
    if settings.INJI_MOCK_MODE:
        from issuance.inji.mock import issue

        return issue(batch, inspection, certificate_key=certificate_key)
    from issuance.inji.certify import default_client

    return default_client().issue(batch, inspection, certificate_key=certificate_key)
