"""Mock mode: the local issuer signs real Ed25519Signature2020 credentials with its own did:key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings

from certificates.credential_document import build_credential, credential_id, xsd_datetime
from certificates.models import Batch, Inspection, IssuedVia
from certificates.signing import local_signing_key, sign
from certificates.status_lists import allocate_entry, parse_entry
from core.clock import utcnow
from issuance.inji.result import IssuedCredential


def issue(
    batch: Batch, inspection: Inspection, *, certificate_key: str, received: Callable[[dict], None] | None = None
) -> IssuedCredential:
    """`received` is never called: the mock's credential leaves this process only as a certificate."""
    issued_at = utcnow().replace(microsecond=0)
    entry = allocate_entry()
    document = build_credential(
        batch,
        inspection,
        certificate_key=certificate_key,
        issuer_did=local_signing_key().did,
        issued_at=issued_at,
        status_entry=entry,
    )
    list_id, index = parse_entry(entry)
    return IssuedCredential(
        document=sign(document, xsd_datetime(issued_at)),
        credential_id=credential_id(certificate_key),
        issuer_did=local_signing_key().did,
        valid_until=issued_at + timedelta(days=settings.CREDENTIAL_VALIDITY_DAYS),
        via=IssuedVia.MOCK,
        status_list_id=list_id,
        status_list_index=index,
    )
