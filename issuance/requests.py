"""What asking for a batch's certificate means, whoever asks.

The inspection hook, the API, the admin and `enqueue_issuance` all ask here and only translate the
answer into a status code or a message. The rule:

- a batch without a passed inspection is refused;
- a batch whose certificate is already on its way (a job pending, processing, or failed with a
  retry scheduled) is refused, naming the job — it will run without being asked twice;
- a batch that has its certificate is refused unless the request is to re-issue, which asks for
  the next revision;
- otherwise a job is enqueued, or, when the job for that certificate gave up, that job is
  re-queued with its attempts reset and its error history kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from certificates.lookup import latest_passed_inspection
from certificates.models import Batch, Certificate, Inspection
from issuance import queue
from issuance.models import IssuanceJob, Trigger


class Answer(StrEnum):
    ENQUEUED = "enqueued"
    REQUEUED = "requeued"  # the job that gave up runs again
    NO_PASSED_INSPECTION = "no_passed_inspection"
    ALREADY_QUEUED = "already_queued"
    ALREADY_CERTIFIED = "already_certified"


REFUSALS = (Answer.NO_PASSED_INSPECTION, Answer.ALREADY_QUEUED, Answer.ALREADY_CERTIFIED)


@dataclass(frozen=True)
class Request:
    """What asking would do (`assess`) or did (`request_issuance`), with a sentence for people."""

    answer: Answer
    message: str
    batch: Batch
    inspection: Inspection | None = None
    revision: int = 0
    job: IssuanceJob | None = None

    @property
    def refused(self) -> bool:
        return self.answer in REFUSALS


def assess(batch: Batch, *, inspection: Inspection | None = None, reissue: bool = False) -> Request:
    """Whether issuance may be requested for `batch` now, without changing anything."""
    number = batch.batch_number
    inspection = inspection or latest_passed_inspection(batch)
    if inspection is None or not inspection.passed:
        return Request(
            Answer.NO_PASSED_INSPECTION, f"Batch {number} has no passed inspection; record one first.", batch
        )
    latest = Certificate.objects(inspection=inspection).only("credential_id", "revision", "issued_at")
    latest = latest.order_by("-revision").first()
    if latest is not None and not reissue:
        return Request(
            Answer.ALREADY_CERTIFIED,
            f"Batch {number} already has certificate {latest.credential_id} (issued {latest.issued_at:%Y-%m-%d}).",
            batch,
            inspection,
            revision=latest.revision,
        )
    live = IssuanceJob.objects(inspection_id=inspection.pk).live().order_by("-created_at").first()
    if live is not None:
        return Request(
            Answer.ALREADY_QUEUED, f"Batch {number} already has {live.describe()}.", batch, inspection, job=live
        )
    revision = latest.revision + 1 if latest is not None else 0
    return Request(
        Answer.ENQUEUED, f"Certificate issuance for batch {number} can be requested.", batch, inspection, revision
    )


def request_issuance(
    batch: Batch, *, trigger: Trigger, by: str = "", inspection: Inspection | None = None, reissue: bool = False
) -> Request:
    """Ask for `batch`'s certificate; the answer says what happened and why."""
    assessed = assess(batch, inspection=inspection, reissue=reissue)
    if assessed.refused:
        return assessed
    number = batch.batch_number
    result = queue.enqueue(assessed.inspection, trigger=trigger, requested_by=by, revision=assessed.revision)
    job = result.job
    if result.created:
        return _answer(assessed, Answer.ENQUEUED, f"Enqueued {job.describe()} for batch {number}.", job)
    if job.gave_up and queue.retry(job, by=by or str(trigger)):
        job.reload()
        return _answer(
            assessed, Answer.REQUEUED, f"Re-queued {job.describe()} for batch {number}; it had given up.", job
        )
    # Another request got there between the assessment and the enqueue.
    job.reload()
    return _answer(assessed, Answer.ALREADY_QUEUED, f"Batch {number} already has {job.describe()}.", job)


def _answer(assessed: Request, answer: Answer, message: str, job: IssuanceJob) -> Request:
    return Request(answer, message, assessed.batch, assessed.inspection, assessed.revision, job)
