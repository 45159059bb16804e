"""Every state transition of an IssuanceJob.

Each transition is one single-document atomic update whose filter holds the whole condition, so
it is correct with any number of workers on a real MongoDB server (and, in the embedded mode, on
the serialised mongomock client). Writes that finish a job are fenced on _id + lock_token +
status=processing: a worker whose lease was taken over cannot record a result. Lease recovery
rotates the token first, so a worker that was only cut off (a partition, a long pause) is fenced
out from that moment, whatever it does when it comes back.

Inji Certify's answer is kept on the job (`received_credential`) by a fenced write before anything
checks it; a job that gives up, or finishes with another certificate, moves it to `unkept` in the
same write, for issuance/orphans.py to revoke.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId
from django.conf import settings
from mongoengine import NotUniqueError
from pymongo import ASCENDING, ReturnDocument

from certificates.models import Certificate, Inspection, certificate_key
from core.clock import utcnow
from issuance.models import DUE_ORDER, ErrorKind, IssuanceJob, JobStatus, due_condition

log = logging.getLogger(__name__)

_enqueue_listeners: list[Callable[[], None]] = []


@dataclass(frozen=True)
class Enqueued:
    job: IssuanceJob
    created: bool


def on_enqueue(listener: Callable[[], None]) -> None:
    """Call `listener` whenever a job becomes claimable in this process (the embedded worker's wake-up)."""
    _enqueue_listeners.append(listener)


def remove_listener(listener: Callable[[], None]) -> None:
    if listener in _enqueue_listeners:
        _enqueue_listeners.remove(listener)


def _wake_local_workers() -> None:
    for listener in list(_enqueue_listeners):
        listener()


def _collection():
    return IssuanceJob._get_collection()


def _job(document: dict | None) -> IssuanceJob | None:
    return IssuanceJob._from_son(document) if document else None


def _expiry(now: datetime) -> datetime:
    return now + timedelta(days=settings.JOB_RETENTION_DAYS)


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
        max_attempts=settings.ISSUANCE_MAX_ATTEMPTS,
        attempts_left=settings.ISSUANCE_MAX_ATTEMPTS,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
        # e.g. the job that issued it expired and someone asked again: the worker must not issue twice
        certificate_may_exist=Certificate.objects(certificate_key=key).only("id").first() is not None,
    )
    try:
        job.save(force_insert=True)
    except NotUniqueError:
        return Enqueued(IssuanceJob.objects.get(dedupe_key=key), created=False)
    log.info("job=%s batch=%s trigger=%s outcome=enqueued", job.pk, job.batch_number, trigger)
    _wake_local_workers()
    return Enqueued(job, created=True)


def claim(worker_id: str, lease_seconds: int) -> IssuanceJob | None:
    """Take the job that has been due longest (the first of `IssuanceJob.objects.due(now)`), or
    None when nothing is due."""
    now = utcnow()
    document = _collection().find_one_and_update(
        due_condition(now),
        {
            "$set": {
                "status": JobStatus.PROCESSING,
                "locked_by": worker_id,
                "lock_token": secrets.token_hex(16),
                "lease_expires_at": now + timedelta(seconds=lease_seconds),
                "started_at": now,
                "updated_at": now,
            },
            "$inc": {"attempt_count": 1, "attempts_left": -1},
        },
        sort=[(DUE_ORDER, ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )
    return _job(document)


def _update(condition: dict, update: dict) -> bool:
    """One conditional single-document update; False when the job no longer met the condition."""
    return _collection().update_one(condition, update).matched_count == 1


def _fenced(job: IssuanceJob, update: dict) -> bool:
    """A write by the job's lease holder: it matches only while that lease is still held."""
    return _update({"_id": job.pk, "lock_token": job.lock_token, "status": JobStatus.PROCESSING}, update)


def renew_lease(job: IssuanceJob, lease_seconds: int) -> bool:
    """Extend the lease; False means it was lost and this worker must not record a result."""
    now = utcnow()
    return _fenced(job, {"$set": {"lease_expires_at": now + timedelta(seconds=lease_seconds), "updated_at": now}})


def keep_answer(job: IssuanceJob, credential_json: str) -> bool:
    """Keep what Inji Certify returned on the job, before anything checks it; False means the lease
    was lost, so nobody will use this credential (it is an orphan)."""
    return _fenced(job, {"$set": {"received_credential": credential_json, "updated_at": utcnow()}})


def _unkept(job: IssuanceJob, reason: str, worker_id: str, now: datetime) -> dict:
    return {"credential": job.received_credential, "reason": reason[:1000], "at": now, "worker": worker_id}


def complete(job: IssuanceJob, certificate_id: ObjectId, *, unkept_reason: str = "") -> bool:
    """Finish with the stored certificate. With `unkept_reason`, the answer the job holds is not
    that certificate's credential (another one was stored first): it moves to `unkept`."""
    now = utcnow()
    update: dict = {
        "$set": {
            "status": JobStatus.SUCCESS,
            "certificate_id": certificate_id,
            "finished_at": now,
            "expires_at": _expiry(now),
            "next_attempt_at": None,
            "updated_at": now,
        },
        "$unset": {"lock_token": "", "lease_expires_at": "", "received_credential": ""},
    }
    if unkept_reason and job.received_credential:
        update["$push"] = {"unkept": _unkept(job, unkept_reason, job.locked_by or "", now)}
    return _fenced(job, update)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with a cap and jitter, so failed jobs do not retry in lockstep."""
    ceiling = min(settings.WORKER_RETRY_MAX_SECONDS, settings.WORKER_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return ceiling * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Failure:
    recorded: bool  # False: the lease was lost, nothing was written
    will_retry_at: datetime | None


def fail(
    job: IssuanceJob, *, kind: str, message: str, worker_id: str, permanent: bool, retry_now: bool = False
) -> Failure:
    """Record a failed attempt: retry later with backoff (or at once), or give up for good."""
    now = utcnow()
    gives_up = permanent or job.attempts_left <= 0
    delay = 0 if retry_now else backoff_seconds(job.attempt_count)
    retry_at = None if gives_up else now + timedelta(seconds=delay)
    changes = {"status": JobStatus.FAILED, "next_attempt_at": retry_at, "updated_at": now}
    if gives_up:
        changes.update(finished_at=now, expires_at=_expiry(now))
    error = {"attempt": job.attempt_count, "at": now, "kind": kind, "message": message[:1000], "worker": worker_id}
    update = {"$set": changes, "$unset": {"lock_token": "", "lease_expires_at": ""}, "$push": {"errors": error}}
    if gives_up and job.received_credential:
        # A job that gave up holds no credential: a retry starts afresh, and this one is revoked.
        update["$unset"]["received_credential"] = ""
        update["$push"]["unkept"] = _unkept(job, message, worker_id, now)
    recorded = _fenced(job, update)
    return Failure(recorded=recorded, will_retry_at=retry_at)


def release(job: IssuanceJob, *, by: str = "") -> bool:
    """Give a processing job back without spending the attempt it used.

    Its worker does this at shutdown; an operator (`by`) does it for a job whose worker is gone,
    and the job's history records who. Clearing the lock token fences the old worker out, should
    it come back.
    """
    now = utcnow()
    update: dict = {
        "$set": {"status": JobStatus.PENDING, "next_attempt_at": now, "updated_at": now, "certificate_may_exist": True},
        "$inc": {"attempt_count": -1, "attempts_left": 1},
        "$unset": {"lock_token": "", "lease_expires_at": "", "locked_by": ""},
    }
    if by:
        message = f"released by {by}"
        update["$push"] = {
            "errors": {
                "attempt": job.attempt_count,
                "at": now,
                "kind": ErrorKind.RELEASED,
                "message": message,
                "worker": job.locked_by,
            }
        }
    if not _fenced(job, update):
        return False
    if by:
        log.info("job=%s batch=%s outcome=released by=%s", job.pk, job.batch_number, by)
    _wake_local_workers()
    return True


def recover_expired_leases(
    now: datetime | None = None, on_gave_up: Callable[[IssuanceJob, str], None] | None = None
) -> int:
    """Make jobs of dead workers claimable again, or fail them when their attempts are used up
    (then `on_gave_up(job, reason)`: issuance.processing tells people, as for every give-up)."""
    now = now or utcnow()
    recovered = 0
    while True:
        document = _collection().find_one_and_update(
            {"status": JobStatus.PROCESSING, "lease_expires_at": {"$lt": now}},
            # A short hold while we decide, under a new token: the old holder may only have been cut
            # off, and from here on its renewals and writes match nothing.
            {"$set": {"lease_expires_at": now + timedelta(seconds=60), "lock_token": secrets.token_hex(16)}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return recovered
        job = _job(document)
        reason = f"the worker {job.locked_by} stopped renewing its lease (it died or lost the database)"
        outcome = fail(
            job,
            kind=ErrorKind.LEASE_EXPIRED,
            message=reason,
            worker_id=job.locked_by or "",
            permanent=False,
            retry_now=True,  # backoff is for failures of the job itself, not of its worker
        )
        if outcome.recorded:
            recovered += 1
            log.warning(
                "job=%s batch=%s attempt=%s outcome=lease_recovered", job.pk, job.batch_number, job.attempt_count
            )
            if outcome.will_retry_at is None and on_gave_up is not None:
                on_gave_up(job, reason)


def forget_unkept(job_id: ObjectId, recorded: list[datetime]) -> None:
    """Drop unkept answers once issuance/orphans.py recorded them as orphans."""
    _update({"_id": job_id}, {"$pull": {"unkept": {"at": {"$in": recorded}}}})


def purge_expired(now: datetime | None = None) -> int:
    """What the TTL index does on MongoDB, for servers (and mongomock) without TTL monitors."""
    return _collection().delete_many({"expires_at": {"$lte": now or utcnow()}}).deleted_count


def retry(job: IssuanceJob, *, by: str) -> bool:
    """Make a failed job (retrying later or given up) claimable now with its attempts reset.

    Returns False when the job was not failed any more (another operator or a worker got there
    first). Its error history is kept.
    """
    now = utcnow()
    retried = _update(
        {"_id": job.pk, "status": JobStatus.FAILED},
        {
            "$set": {
                "status": JobStatus.PENDING,
                "attempt_count": 0,
                "attempts_left": job.max_attempts,
                "next_attempt_at": now,
                "retried_by": by,
                "retried_at": now,
                "updated_at": now,
            },
            "$unset": {"finished_at": "", "expires_at": ""},
        },
    )
    if retried:
        log.info("job=%s batch=%s outcome=retried by=%s", job.pk, job.batch_number, by)
        _wake_local_workers()
    return retried


def cancel(job: IssuanceJob, *, by: str) -> bool:
    """An operator stops a pending job for good; False when it was no longer pending."""
    now = utcnow()
    message = f"cancelled by {by}"
    error = {"attempt": job.attempt_count, "at": now, "kind": ErrorKind.CANCELLED, "message": message}
    update: dict = {
        "$set": {
            "status": JobStatus.FAILED,
            "next_attempt_at": None,
            "finished_at": now,
            "expires_at": _expiry(now),
            "updated_at": now,
        },
        "$push": {"errors": error},
    }
    if job.received_credential:  # a released job kept Certify's answer; cancelled, it is unkept
        update["$unset"] = {"received_credential": ""}
        update["$push"]["unkept"] = _unkept(job, message, "", now)
    # The answer read is the answer moved: a worker may have claimed and released it since.
    cancelled = _update(
        {"_id": job.pk, "status": JobStatus.PENDING, "received_credential": job.received_credential}, update
    )
    if cancelled:
        log.info("job=%s batch=%s outcome=cancelled by=%s", job.pk, job.batch_number, by)
    return cancelled
