"""Every state transition of a job, at the queue: claim, renew, complete, fail, release, retry,
cancel, lease recovery and retention — each fenced so that only the right holder can make it."""

from __future__ import annotations

from datetime import timedelta

from bson import ObjectId

from core.clock import utcnow
from issuance import queue
from issuance.models import ErrorKind, IssuanceJob, JobStatus
from tests.factories import make_batch, make_inspection


def test_claims_take_the_job_due_longest_and_skip_those_not_yet_due():
    now = utcnow()
    for number, due in (
        ("LATER", now + timedelta(minutes=5)),
        ("NEWER", now - timedelta(seconds=5)),
        ("OLDER", now - timedelta(minutes=5)),
    ):
        make_inspection(make_batch(number))
        IssuanceJob.objects(batch_number=number).update_one(set__next_attempt_at=due)

    first, second, third = (queue.claim("w", 30) for _ in range(3))

    assert (first.batch_number, second.batch_number) == ("OLDER", "NEWER")
    assert third is None
    assert first.status == JobStatus.PROCESSING and first.locked_by == "w" and first.attempt_count == 1
    assert first.lease_expires_at > utcnow() + timedelta(seconds=25)


def test_a_job_without_attempts_left_is_never_claimed(batch):
    make_inspection(batch)
    IssuanceJob.objects.update_one(set__status=JobStatus.FAILED, set__attempts_left=0)

    assert queue.claim("w", 30) is None


def claimed(batch) -> IssuanceJob:
    make_inspection(batch)
    return queue.claim("worker-a", 30)


def stored(job: IssuanceJob) -> IssuanceJob:
    return IssuanceJob.objects.get(pk=job.pk)


def test_the_lease_holder_renews_and_completes_its_job(batch):
    job = claimed(batch)
    certificate_id = ObjectId()

    assert queue.renew_lease(job, 300)
    assert stored(job).lease_expires_at > utcnow() + timedelta(seconds=250)
    assert queue.complete(job, certificate_id)

    done = stored(job)
    assert done.status == JobStatus.SUCCESS and done.certificate_id == certificate_id
    assert done.lock_token is None and done.lease_expires_at is None
    assert done.expires_at > utcnow() + timedelta(days=29)


def test_a_worker_that_lost_its_lease_can_neither_renew_nor_finish(batch):
    job = claimed(batch)
    IssuanceJob.objects(pk=job.pk).update_one(set__lock_token="another-holder")

    assert not queue.renew_lease(job, 300)
    assert not queue.complete(job, ObjectId())
    assert not queue.fail(job, kind=ErrorKind.TRANSIENT, message="x", worker_id="worker-a", permanent=False).recorded
    assert not queue.release(job)
    assert stored(job).status == JobStatus.PROCESSING


def test_a_transient_failure_schedules_a_retry_and_keeps_the_error(batch):
    job = claimed(batch)

    failure = queue.fail(job, kind=ErrorKind.TRANSIENT, message="timeout", worker_id="worker-a", permanent=False)

    after = stored(job)
    assert failure.recorded and failure.will_retry_at > utcnow()
    assert after.will_retry and not after.gave_up
    assert [(e.attempt, e.kind, e.message) for e in after.errors] == [(1, "transient", "timeout")]
    assert IssuanceJob.objects.will_retry().count() == 1 and IssuanceJob.objects.gave_up().count() == 0


def test_a_permanent_failure_gives_up_at_once(batch):
    job = claimed(batch)

    failure = queue.fail(job, kind=ErrorKind.PERMANENT, message="400", worker_id="worker-a", permanent=True)

    after = stored(job)
    assert failure.recorded and failure.will_retry_at is None
    assert after.gave_up and after.finished_at is not None and after.expires_at is not None
    assert IssuanceJob.objects.gave_up().count() == 1 and IssuanceJob.objects.live().count() == 0


def test_the_last_attempts_transient_failure_gives_up(batch):
    job = claimed(batch)
    IssuanceJob.objects(pk=job.pk).update_one(set__attempts_left=0)
    job.attempts_left = 0

    failure = queue.fail(job, kind=ErrorKind.TRANSIENT, message="503", worker_id="worker-a", permanent=False)

    assert failure.will_retry_at is None and stored(job).gave_up


def test_a_release_at_shutdown_gives_the_attempt_back(batch):
    job = claimed(batch)

    assert queue.release(job)

    after = stored(job)
    assert after.status == JobStatus.PENDING and after.attempt_count == 0 and after.attempts_left == 3
    assert after.errors == [] and after.locked_by is None
    assert queue.claim("worker-b", 30).pk == job.pk


def test_an_operators_release_is_recorded_and_fences_the_old_worker_out(batch):
    job = claimed(batch)

    assert queue.release(job, by="operator")

    after = stored(job)
    assert after.status == JobStatus.PENDING and after.attempts_left == 3
    assert [(e.kind, e.message, e.worker) for e in after.errors] == [("released", "released by operator", "worker-a")]
    assert not queue.complete(job, ObjectId())  # the old worker comes back: its token no longer matches


def test_retry_brings_back_only_failed_jobs_with_attempts_reset_and_history_kept(batch):
    job = claimed(batch)
    queue.fail(job, kind=ErrorKind.PERMANENT, message="400", worker_id="worker-a", permanent=True)

    assert queue.retry(stored(job), by="operator")
    assert not queue.retry(stored(job), by="operator")  # pending now: nothing to retry

    after = stored(job)
    assert after.status == JobStatus.PENDING and after.attempt_count == 0 and after.attempts_left == 3
    assert after.retried_by == "operator" and after.finished_at is None and after.expires_at is None
    assert [e.message for e in after.errors] == ["400"]


def test_cancel_stops_only_a_pending_job_for_good(batch):
    make_inspection(batch)
    job = IssuanceJob.objects.get()

    assert queue.cancel(job, by="operator")
    assert not queue.cancel(job, by="operator")

    after = stored(job)
    assert after.gave_up and [e.kind for e in after.errors] == ["cancelled"]
    assert queue.claim("worker-a", 30) is None


def test_an_expired_lease_makes_the_job_claimable_again_without_backoff(batch):
    job = claimed(batch)

    assert queue.recover_expired_leases(now=utcnow() + timedelta(seconds=31)) == 1

    after = stored(job)
    assert after.status == JobStatus.FAILED and after.will_retry and after.next_attempt_at <= utcnow()
    assert [e.kind for e in after.errors] == ["lease_expired"]
    assert queue.claim("worker-b", 30).pk == job.pk


def test_a_lease_that_has_not_expired_is_left_alone(batch):
    claimed(batch)

    assert queue.recover_expired_leases(now=utcnow() + timedelta(seconds=5)) == 0


def test_retention_deletes_only_finished_jobs_past_their_expiry(batch):
    job = claimed(batch)
    queue.complete(job, ObjectId())
    make_inspection(make_batch("STILL-PENDING"))

    assert queue.purge_expired(now=utcnow() + timedelta(days=29)) == 0
    assert queue.purge_expired(now=utcnow() + timedelta(days=31)) == 1
    assert [j.batch_number for j in IssuanceJob.objects] == ["STILL-PENDING"]
