"""What issuing one job means: load, issue (unless already issued), store, notify, finish.

The certificate's unique key (inspection + revision) makes every step safe to repeat: a worker
that crashed after the issuer answered, or a second job for the same inspection, finds the stored
certificate and finishes without calling the issuer again.

Inji Certify's answer is kept on the job (a write fenced on the lease) the moment it arrives, before
it is checked or stored: a later attempt uses it instead of asking Certify for a second credential.
A credential that cannot be kept — the lease was lost first, it was refused, another certificate
was stored, the job gave up — is revoked at Certify and recorded (issuance/orphans.py). The lease is
renewed right before the certificate is stored: a worker that lost it stores nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.conf import settings

from certificates.lifecycle import CredentialIdTaken, mark_certified, store_active
from certificates.models import Batch, BatchStatus, Certificate, Inspection
from certificates.words import short_id
from core.clock import utcnow
from credentials.qr import QRTooDense, check_scannable
from issuance import orphans, queue
from issuance.inji import IssuedCredential, IssuerError, PermanentIssuerError, accept_answer, issue_credential
from issuance.models import ErrorKind, IssuanceJob
from issuance.words import plain_reason
from notifications.delivery import STAFF, notify
from notifications.models import NotificationKind

log = logging.getLogger(__name__)


class JobOutcome(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    GAVE_UP = "gave_up"
    LEASE_LOST = "lease_lost"  # another worker holds the job now; nothing was recorded


@dataclass(frozen=True)
class JobResult:
    outcome: JobOutcome
    detail: str = ""


class LeaseLost(Exception):
    """Another worker holds the job now: this one must record nothing."""


class AnswerNotKept(LeaseLost):
    """Certify answered, but the lease was lost before the answer could be kept: nobody will use it."""

    def __init__(self, credential: dict) -> None:
        super().__init__("the lease was lost before Inji Certify's answer could be kept")
        self.credential = credential


def process(job: IssuanceJob, worker_id: str, issue=issue_credential, lease_seconds: int | None = None) -> JobResult:
    batch, inspection = load_inspection_and_batch(job)
    if batch is None or inspection is None:
        missing = f"batch {job.batch_number}" if batch is None else f"inspection {job.inspection_id}"
        return give_up(job, worker_id, f"the {missing} no longer exists", batch)
    if not inspection.passed:
        return give_up(job, worker_id, f"inspection {inspection.pk} is no longer passed", batch)

    certificate = stored_certificate(job)
    if certificate is None:
        try:
            certificate = issue_and_store(job, batch, inspection, issue, lease_seconds or settings.WORKER_LEASE_SECONDS)
        except AnswerNotKept as lost:
            reason = f"worker {worker_id} lost the job's lease before it could keep Inji Certify's answer"
            orphans.record(lost.credential, job, reason=reason, worker=worker_id)
            return JobResult(JobOutcome.LEASE_LOST, "Inji Certify's answer came too late to keep; revoked there")
        except LeaseLost:
            return JobResult(JobOutcome.LEASE_LOST, "the lease was lost before the certificate was stored")
        except IssuerError as exc:
            if not exc.transient:
                return give_up(job, worker_id, str(exc), batch)
            return retry_later(job, worker_id, str(exc), batch)

    notify(
        batch.exporter,
        NotificationKind.CERTIFICATE_READY,
        f"Certificate ready for batch {batch.batch_number}",
        f"The quality certificate for {batch.product} batch {batch.batch_number} has been issued "
        f"(certificate {short_id(certificate.credential_id)}): open it to download its QR code or share it.",
        batch_id=batch.pk,
        batch_number=batch.batch_number,
        certificate_id=certificate.pk,
        dedupe_key=f"{NotificationKind.CERTIFICATE_READY}:{certificate.pk}",
    )
    return finish(job, certificate)


def stored_certificate(job: IssuanceJob) -> Certificate | None:
    """The certificate an earlier attempt or job stored (then crashed, or was released), if any."""
    if not (job.attempt_count > 1 or job.errors or job.retried_at or job.certificate_may_exist):
        return None
    certificate = Certificate.objects(certificate_key=job.dedupe_key).first()
    if certificate is not None:
        mark_certified(certificate)
    return certificate


def issue_and_store(job: IssuanceJob, batch: Batch, inspection: Inspection, issue, lease_seconds: int) -> Certificate:
    key = job.dedupe_key
    if job.received_credential:  # Certify answered an earlier attempt: use that answer
        issued = accept_answer(batch, inspection, json.loads(job.received_credential), certificate_key=key)
    else:
        issued = issue(batch, inspection, certificate_key=key, received=answer_keeper(job))
    refuse_unscannable(issued)
    if not queue.renew_lease(job, lease_seconds):
        raise LeaseLost()
    return store_certificate(batch, inspection, issued, certificate_key=key, revision=job.revision, job_id=job.pk)


def answer_keeper(job: IssuanceJob) -> Callable[[dict], None]:
    """What the issuer calls with Inji Certify's answer, before checking it: keep it on the job."""

    def keep(credential: dict) -> None:
        text = json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
        if not queue.keep_answer(job, text):
            raise AnswerNotKept(credential)
        job.received_credential = text

    return keep


def finish(job: IssuanceJob, certificate: Certificate) -> JobResult:
    unkept = job.received_credential is not None and json.loads(job.received_credential) != certificate.credential
    reason = "another certificate was stored for this inspection first" if unkept else ""
    if not queue.complete(job, certificate.pk, unkept_reason=reason):
        return JobResult(JobOutcome.LEASE_LOST, "another worker took the job over; its certificate is stored")
    if unkept:
        orphans.adopt_unkept(job.pk)
    return JobResult(JobOutcome.SUCCESS, certificate.credential_id)


def load_inspection_and_batch(job: IssuanceJob) -> tuple[Batch | None, Inspection | None]:
    """The job's inspection and its batch in one round trip (a $lookup), as documents."""
    found = list(
        Inspection.objects(pk=job.inspection_id).aggregate(
            [
                {
                    "$lookup": {
                        "from": Batch._get_collection_name(),
                        "localField": "batch",
                        "foreignField": "_id",
                        "as": "_batch",
                    }
                }
            ]
        )
    )
    if not found or not found[0]["_batch"]:
        return Batch.objects(pk=job.batch_id).first(), None
    raw = found[0]
    batch = Batch._from_son(raw.pop("_batch")[0])
    return batch, Inspection._from_son(raw)


def refuse_unscannable(issued: IssuedCredential) -> None:
    """A certificate whose QR code a phone cannot read from paper is not issued (and never printed)."""
    try:
        check_scannable(issued.document)
    except QRTooDense as exc:
        raise PermanentIssuerError(
            f"{exc}: shorten the batch's texts (product, variety, region, farm) or the organisation names, "
            "then request issuance again"
        ) from None


def store_certificate(
    batch: Batch,
    inspection: Inspection,
    issued: IssuedCredential,
    *,
    certificate_key: str,
    revision: int = 0,
    job_id: object = None,
) -> Certificate:
    certificate = Certificate(
        certificate_key=certificate_key,
        batch=batch,
        inspection=inspection,
        exporter=batch.exporter,
        revision=revision,
        job_id=job_id,
        credential_json=issued.text,
        credential_id=issued.credential_id,
        issuer_did=issued.issuer_did,
        issued_via=issued.via,
        issued_at=utcnow(),
        valid_until=issued.valid_until,
        status_list_id=issued.status_list_id,
        status_list_index=issued.status_list_index,
    )
    try:
        return store_active(certificate, batch_certified=batch.status == BatchStatus.CERTIFIED)
    except CredentialIdTaken as exc:
        raise DuplicateCredentialId(str(exc)) from None


class DuplicateCredentialId(PermanentIssuerError):
    pass


def retry_later(job: IssuanceJob, worker_id: str, message: str, batch: Batch | None) -> JobResult:
    failure = queue.fail(job, kind=ErrorKind.TRANSIENT, message=message, worker_id=worker_id, permanent=False)
    if not failure.recorded:
        return JobResult(JobOutcome.LEASE_LOST, message)
    if failure.will_retry_at is None:
        _gave_up(job, batch, message, ErrorKind.TRANSIENT)
        return JobResult(JobOutcome.GAVE_UP, message)
    return JobResult(JobOutcome.RETRY, f"{message}; next attempt at {failure.will_retry_at:%H:%M:%S}")


def give_up(job: IssuanceJob, worker_id: str, message: str, batch: Batch | None) -> JobResult:
    failure = queue.fail(job, kind=ErrorKind.PERMANENT, message=message, worker_id=worker_id, permanent=True)
    if not failure.recorded:
        return JobResult(JobOutcome.LEASE_LOST, message)
    _gave_up(job, batch, message, ErrorKind.PERMANENT)
    return JobResult(JobOutcome.GAVE_UP, message)


def recover_expired_leases(now: datetime | None = None) -> int:
    """Dead workers' jobs back in the queue; one whose attempts are used up gives up and tells the
    exporter and staff, exactly like any other give-up."""
    return queue.recover_expired_leases(
        now,
        on_gave_up=lambda job, reason: _gave_up(
            job, Batch.objects(pk=job.batch_id).first(), reason, ErrorKind.LEASE_EXPIRED
        ),
    )


def _gave_up(job: IssuanceJob, batch: Batch | None, reason: str, kind: ErrorKind) -> None:
    """Every give-up: the answer from Certify the job held (now unkept) is revoked; people are told."""
    if job.received_credential:
        orphans.adopt_unkept(job.pk)
    _notify_gave_up(job, batch, reason, kind)


def _notify_gave_up(job: IssuanceJob, batch: Batch | None, reason: str, kind: ErrorKind) -> None:
    """The exporter reads what happened and that staff will act; staff read the technical reason and where to retry."""
    title = f"Certificate for batch {job.batch_number} could not be issued"
    attempts = f"{job.attempt_count} attempt{'s' if job.attempt_count != 1 else ''}"
    to_exporter = (
        f"Batch {job.batch_number} passed inspection, but its certificate could not be issued: "
        f"{plain_reason(kind, reason)}. Our staff have been told and will retry it; you will be notified when "
        "the certificate is ready."
    )
    to_staff = (
        f"Issuance for batch {job.batch_number} gave up after {attempts}: {reason}. "
        "Retry it from the admin (Issuance jobs → this job → Retry)."
    )
    for recipient, message in ([(batch.exporter, to_exporter)] if batch else []) + [(STAFF, to_staff)]:
        notify(
            recipient,
            NotificationKind.ISSUANCE_FAILED,
            title,
            message,
            batch_id=job.batch_id,
            batch_number=job.batch_number,
            dedupe_key=f"{NotificationKind.ISSUANCE_FAILED}:{job.pk}:{job.retried_at or 'first'}:{recipient}",
        )
