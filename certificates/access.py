"""Who may see which batch and certificate: every page, API view and command asks here.

"Not yours" has one answer everywhere: the object does not exist for you (404), so nobody learns
which batch numbers or certificates exist by asking for them. What a role may *do* (submit,
inspect, share) is a separate question, answered with 403 by the callers.
"""

from __future__ import annotations

from django.http import Http404

from certificates.models import Batch, BatchStatus, Certificate, Inspection
from core.documents import get_document_or_404
from core.roles import EXPORTER, IMPORTER, QA_AGENCY, has_role, is_staff


def sees_every_batch(user) -> bool:
    """Staff and QA agencies see every batch, its inspections and its certificates."""
    return is_staff(user) or has_role(user, QA_AGENCY)


def visible_batches(user):
    if sees_every_batch(user):
        return Batch.objects
    if has_role(user, EXPORTER):
        return Batch.objects(exporter=user.get_username())
    return Batch.objects.none()


def batch_for(user, batch_number: str) -> Batch:
    batch = visible_batches(user).filter(batch_number=batch_number).first()
    if batch is None:
        raise Http404(f"No batch {batch_number!r} that you can see.")
    return batch


def may_open_batch(user, batch: Batch) -> bool:
    """Whether `user` can open `batch`'s page (an importer sees certificates, never batches)."""
    return visible_batches(user).filter(pk=batch.pk).only("id").first() is not None


def visible_certificates(user):
    if sees_every_batch(user):
        return Certificate.objects
    if has_role(user, EXPORTER):
        return Certificate.objects(exporter=user.get_username())
    if has_role(user, IMPORTER):
        return Certificate.objects(shared_with=user.get_username())
    return Certificate.objects.none()


def own_batches(user):
    """The batches `user` submitted as an exporter (their dashboard), whatever else they may see."""
    return Batch.objects(exporter=user.get_username()) if has_role(user, EXPORTER) else Batch.objects.none()


def batches_to_inspect(user):
    """Batches waiting for a QA agency: submitted, or failed and awaiting a re-test."""
    if not (is_staff(user) or has_role(user, QA_AGENCY)):
        return Batch.objects.none()
    return Batch.objects(status__in=[BatchStatus.SUBMITTED, BatchStatus.INSPECTION_FAILED])


def inspections_by(user):
    """The inspections `user` recorded (an inspector's history), whatever became of the batches since."""
    if not (is_staff(user) or has_role(user, QA_AGENCY)):
        return Inspection.objects.none()
    return Inspection.objects(inspector=user.get_username())


def own_certificates(user):
    """The certificates of `user`'s own batches, as an exporter."""
    return Certificate.objects(exporter=user.get_username()) if has_role(user, EXPORTER) else Certificate.objects.none()


def certificates_shared_with(user):
    """The certificates exporters shared with `user`, as an importer."""
    if not has_role(user, IMPORTER):
        return Certificate.objects.none()
    return Certificate.objects(shared_with=user.get_username())


def public_certificate_for(token: str) -> Certificate:
    """The certificate behind a public link: anyone holding the unguessable token may see it."""
    certificate = Certificate.objects(public_token=token).first()
    if certificate is None:
        raise Http404("No such certificate.")
    return certificate


def certificate_for(user, certificate_id: str) -> Certificate:
    return get_document_or_404(
        visible_certificates(user), f"No certificate {certificate_id!r} that you can see.", pk=certificate_id
    )
