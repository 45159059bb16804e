"""Why a job failed, in words an exporter can read: no error codes, no endpoints, nothing to do in an admin.

Staff read the technical message the job recorded (`JobError.message`); everyone else reads this.
"""

from __future__ import annotations

from issuance.models import ErrorKind

TOO_DENSE = "the certificate's QR code would have to hold more text than a phone can read from paper"
CHANGED = "the batch or its inspection changed while the certificate was being issued"
REFUSED = "the certificate service did not accept the batch's details"
UNREACHABLE = "the certificate service could not be reached or did not answer in time"
INTERRUPTED = "the issuing process stopped before it had finished"
UNKNOWN = "the certificate service could not complete it"


def plain_reason(kind: str | None, message: str | None) -> str:
    """The reason for a failure of `kind` with the technical `message`, for people outside operations."""
    message = message or ""
    if "QR code" in message:
        return TOO_DENSE
    if "no longer" in message:
        return CHANGED
    if kind == ErrorKind.PERMANENT:
        return REFUSED
    if kind == ErrorKind.TRANSIENT:
        return UNREACHABLE
    if kind in (ErrorKind.LEASE_EXPIRED, ErrorKind.RELEASED):
        return INTERRUPTED
    return UNKNOWN
