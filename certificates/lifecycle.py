"""A batch's life: its status follows its inspections, and it has at most one active certificate.

- A re-inspection of a certified batch is a re-test. A failed re-test revokes the active
  certificate (its status bit set, the reason recorded, the exporter and the importers it was
  shared with told). A passing re-test issues a new certificate, which supersedes the previous
  one: that one is revoked as superseded and the two are linked.
- "At most one active certificate per batch" is also a partial unique index, so two workers
  storing certificates for one batch at once cannot both leave theirs active.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from mongoengine import NotUniqueError

from certificates.models import Batch, BatchStatus, Certificate, CertificateStatus, Inspection
from certificates.revocation import revoke

SYSTEM = "AgriQCert"
STORE_ATTEMPTS = 3


class CredentialIdTaken(ValueError):
    """The issuer returned a credential id another certificate already has."""


def active_certificate(batch: Batch) -> Certificate | None:
    return Certificate.objects(batch=batch, status=CertificateStatus.ACTIVE).first()


def follow_inspection(sender: type, document: Inspection, **kwargs: Any) -> None:
    latest = Inspection.objects(batch=document.batch).order_by("-inspected_at").only("id").first()
    if latest is None or latest.pk != document.pk:
        return
    batch = document.batch
    active = active_certificate(batch)
    if active is None:
        status = BatchStatus.AWAITING_CERTIFICATE if document.passed else BatchStatus.INSPECTION_FAILED
        Batch.objects(pk=batch.pk).update_one(set__status=status)
    elif not document.passed:
        reason = f"Re-test failed on {document.inspected_at:%d %B %Y} ({document.agency})"
        revoke(active, by=document.inspector, reason=reason)
        Batch.objects(pk=batch.pk).update_one(set__status=BatchStatus.INSPECTION_FAILED)
    # A passing re-test keeps the batch certified until its new certificate supersedes the old one.


def store_active(certificate: Certificate, *, batch_certified: bool = True) -> Certificate:
    """Store `certificate` as its batch's one active certificate, superseding the previous one.

    With `batch_certified` False (the batch as the caller read it was not certified, so has no
    active certificate) the first try skips looking for one; should one have become active meanwhile,
    the unique index refuses the insert and the next try supersedes it.

    Returns the stored certificate — another worker's, when it stored the same one first."""
    certificate.id = certificate.id or ObjectId()
    for attempt in range(STORE_ATTEMPTS):
        previous = active_certificate(certificate.batch) if attempt or batch_certified else None
        if previous is not None and previous.certificate_key != certificate.certificate_key:
            supersede(previous, certificate)
        try:
            stored = certificate.save(force_insert=True)
        except NotUniqueError:
            same = Certificate.objects(certificate_key=certificate.certificate_key).first()
            if same is not None:
                return same  # a duplicate job, or a lease taken over: keep the first
            if Certificate.objects(credential_id=certificate.credential_id).first() is not None:
                raise CredentialIdTaken(
                    f"the issuer returned credential id {certificate.credential_id}, which another certificate has"
                ) from None
            continue  # another worker's certificate became active meanwhile: supersede it too
        Batch.objects(pk=certificate.batch.pk).update_one(set__status=BatchStatus.CERTIFIED)
        return stored
    raise NotUniqueError(f"batch {certificate.batch.batch_number} kept getting new active certificates")


def supersede(previous: Certificate, new: Certificate) -> None:
    reason = f"Superseded by certificate {new.credential_id} after a passing re-test"
    revoke(previous, by=SYSTEM, reason=reason)
    Certificate.objects(pk=previous.pk).update_one(set__superseded_by=new.id)
    new.supersedes = previous.pk
