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


# -- lease recovery fences a holder that was only cut off; Certify's answer stays with the job -------


def test_lease_recovery_rotates_the_token_before_it_decides_so_the_cut_off_holder_is_fenced_out(batch, monkeypatch):
    """The holder may only be paused or partitioned: from the recovery's first write on, its
    renewals, answers and results match nothing, even while the recovery is still deciding."""
    job = claimed(batch)
    seen_by_the_old_holder = {}
    real_fail = queue.fail

    def fail_after_the_old_holder_tried(recovered, **options):
        seen_by_the_old_holder.update(
            token_rotated=recovered.lock_token not in (None, job.lock_token),
            renewed=queue.renew_lease(job, 300),
            kept_answer=queue.keep_answer(job, '{"id": "urn:uuid:late"}'),
            completed=queue.complete(job, ObjectId()),
        )
        return real_fail(recovered, **options)

    monkeypatch.setattr(queue, "fail", fail_after_the_old_holder_tried)

    assert queue.recover_expired_leases(now=utcnow() + timedelta(seconds=31)) == 1

    assert seen_by_the_old_holder == {"token_rotated": True, "renewed": False, "kept_answer": False, "completed": False}
    after = stored(job)
    assert after.will_retry and after.received_credential is None and after.lock_token is None
    assert not queue.renew_lease(job, 300) and not queue.release(job)


def test_only_the_lease_holder_keeps_an_answer_and_the_next_attempt_finds_it(batch):
    job = claimed(batch)

    assert queue.keep_answer(job, '{"id": "urn:uuid:first"}')
    queue.recover_expired_leases(now=utcnow() + timedelta(seconds=31))
    assert not queue.keep_answer(job, '{"id": "urn:uuid:second"}')

    assert queue.claim("worker-b", 30).received_credential == '{"id": "urn:uuid:first"}'


def test_a_release_keeps_the_answer_for_the_next_worker(batch):
    job = claimed(batch)
    queue.keep_answer(job, '{"id": "urn:uuid:kept"}')

    assert queue.release(job)

    assert stored(job).received_credential == '{"id": "urn:uuid:kept"}'


def test_a_job_that_gives_up_moves_its_answer_to_unkept_in_the_same_write(batch):
    job = claimed(batch)
    queue.keep_answer(job, '{"id": "urn:uuid:refused"}')
    job.received_credential = '{"id": "urn:uuid:refused"}'

    queue.fail(job, kind=ErrorKind.PERMANENT, message="wrong claims", worker_id="worker-a", permanent=True)

    after = stored(job)
    assert after.gave_up and after.received_credential is None
    assert [(u.credential, u.reason, u.worker) for u in after.unkept] == [
        ('{"id": "urn:uuid:refused"}', "wrong claims", "worker-a")
    ]


def test_a_retry_keeps_the_answer_and_completion_clears_it(batch):
    job = claimed(batch)
    queue.keep_answer(job, '{"id": "urn:uuid:kept"}')
    job.received_credential = '{"id": "urn:uuid:kept"}'
    queue.fail(job, kind=ErrorKind.TRANSIENT, message="503", worker_id="worker-a", permanent=False)
    IssuanceJob.objects(pk=job.pk).update_one(set__next_attempt_at=utcnow())
    again = queue.claim("worker-b", 30)
    assert again.received_credential == '{"id": "urn:uuid:kept"}'

    assert queue.complete(again, ObjectId())

    after = stored(job)
    assert after.received_credential is None and after.unkept == []


def test_completing_with_another_certificate_moves_the_unused_answer_to_unkept(batch):
    job = claimed(batch)
    queue.keep_answer(job, '{"id": "urn:uuid:unused"}')
    job.received_credential = '{"id": "urn:uuid:unused"}'

    assert queue.complete(job, ObjectId(), unkept_reason="another certificate was stored first")

    after = stored(job)
    assert after.status == JobStatus.SUCCESS and after.received_credential is None
    assert [u.reason for u in after.unkept] == ["another certificate was stored first"]


def test_cancelling_a_released_job_moves_its_answer_to_unkept_unless_the_answer_changed_meanwhile(batch):
    job = claimed(batch)
    queue.keep_answer(job, '{"id": "urn:uuid:first"}')
    queue.release(job)
    seen_by_the_operator = stored(job)
    again = queue.claim("worker-b", 30)
    queue.keep_answer(again, '{"id": "urn:uuid:second"}')
    queue.release(again)

    assert not queue.cancel(seen_by_the_operator, by="operator")
    assert queue.cancel(stored(job), by="operator")

    after = stored(job)
    assert after.gave_up and after.received_credential is None
    assert [(u.credential, u.reason) for u in after.unkept] == [('{"id": "urn:uuid:second"}', "cancelled by operator")]
