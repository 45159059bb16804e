"""Every state transition of an IssuanceJob.

Each transition is one single-document atomic update whose filter holds the whole condition, so
it is correct with any number of workers on a real MongoDB server (and, in the embedded mode, on
the serialised mongomock client).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mongoengine import NotUniqueError

from agriqcert.clock import utcnow
from certificates.models import Inspection, certificate_key
from issuance.models import IssuanceJob, JobStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Enqueued:
    job: IssuanceJob
    created: bool


def live_filter() -> dict:
    """Jobs that will still run: pending, processing, or failed with a retry scheduled."""
    return {"status__in": [JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.FAILED], "next_attempt_at__ne": None}


def enqueue(inspection: Inspection, *, trigger: str, requested_by: str = "", revision: int = 0) -> Enqueued:
    """Create the job that issues `inspection`'s certificate, unless it exists already.

    The unique dedupe key makes this idempotent even when two callers race: the loser's insert
    fails and it returns the winner's job.
    """
    key = certificate_key(inspection.pk, revision)
    now = utcnow()
    job = IssuanceJob(
        dedupe_key=key,
        batch_id=inspection.batch.pk,
        batch_number=inspection.batch.batch_number,
        inspection_id=inspection.pk,
        revision=revision,
        trigger=trigger,
        requested_by=requested_by or None,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    job.attempts_left = job.max_attempts
    try:
        job.save(force_insert=True)
    except NotUniqueError:
        return Enqueued(IssuanceJob.objects.get(dedupe_key=key), created=False)
    log.info("job=%s batch=%s trigger=%s outcome=enqueued", job.pk, job.batch_number, trigger)
    return Enqueued(job, created=True)


def retry(job: IssuanceJob, *, by: str) -> bool:
    """Make a failed job (retrying later or given up) claimable now with its attempts reset.

    Returns False when the job was not failed any more (another operator or a worker got there
    first). Its error history is kept.
    """
    now = utcnow()
    updated = IssuanceJob.objects(pk=job.pk, status=JobStatus.FAILED).update_one(
        set__status=JobStatus.PENDING,
        set__attempt_count=0,
        set__attempts_left=job.max_attempts,
        set__next_attempt_at=now,
        set__retried_by=by,
        set__retried_at=now,
        set__updated_at=now,
        unset__finished_at=True,
        unset__expires_at=True,
    )
    if updated:
        log.info("job=%s batch=%s outcome=retried by=%s", job.pk, job.batch_number, by)
    return bool(updated)
