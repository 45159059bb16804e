"""A worker that dies at any point loses nothing and duplicates nothing.

A crash is simulated by a BaseException that kills the job's thread on the spot — no error is
recorded, the job stays `processing` under a lease nobody renews, exactly as when the process
dies. (Separate processes cannot share the embedded database; with MONGODB_TEST_URI these
tests run on a real server.)
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from bson import ObjectId

from certificates.models import Certificate
from core.clock import utcnow
from issuance import processing, queue
from issuance.inji.mock import issue as mock_issue
from issuance.models import ErrorKind, IssuanceJob, JobStatus
from issuance.worker import Worker
from tests.factories import make_inspection

pytestmark = pytest.mark.django_db(transaction=True)


class Crash(BaseException):
    """The process died here."""


class Issuer:
    def __init__(self, crash_before: bool = False, crash_after: bool = False, delay: float = 0):
        self.calls = 0
        self.crash_before, self.crash_after, self.delay = crash_before, crash_after, delay

    def __call__(self, batch, inspection, *, certificate_key, received=None):
        self.calls += 1
        if self.crash_before and self.calls == 1:
            raise Crash()
        time.sleep(self.delay)
        issued = mock_issue(batch, inspection, certificate_key=certificate_key)
        if self.crash_after and self.calls == 1:
            raise Crash()  # the issuer answered; the certificate was never stored
        return issued


def crash_then_recover(issuer) -> IssuanceJob:
    """Run until the crash, let the lease expire, sweep, and run a fresh worker."""
    Worker(issue=issuer, poll_interval_ms=20, lease_seconds=30).run(once=True)
    orphan = IssuanceJob.objects.get()
    assert orphan.status == JobStatus.PROCESSING  # left behind by the dead worker

    assert queue.recover_expired_leases(utcnow() + timedelta(seconds=31)) == 1
    Worker(issue=issuer, poll_interval_ms=20).run(once=True)
    return IssuanceJob.objects.get()


@pytest.fixture(autouse=True)
def quiet_thread_deaths(monkeypatch):
    monkeypatch.setattr(threading, "excepthook", lambda args: None)


def test_crash_after_claim_before_issuing(batch):
    make_inspection(batch)
    issuer = Issuer(crash_before=True)

    job = crash_then_recover(issuer)

    assert job.status == JobStatus.SUCCESS and job.attempt_count == 2
    assert job.errors[0].kind == ErrorKind.LEASE_EXPIRED
    assert Certificate.objects.count() == 1


def test_crash_after_the_issuer_answered_before_the_certificate_was_stored(batch):
    make_inspection(batch)
    issuer = Issuer(crash_after=True)

    job = crash_then_recover(issuer)

    assert job.status == JobStatus.SUCCESS
    assert Certificate.objects.count() == 1
    assert issuer.calls == 2  # nothing was stored, so issuing again is the only way


def test_crash_after_the_certificate_was_stored_before_the_job_finished(batch, monkeypatch):
    make_inspection(batch)
    issuer = Issuer()
    real_complete = queue.complete
    crashes = []

    def complete_or_crash(job, certificate_id, **options):
        if not crashes:
            crashes.append(job.pk)
            raise Crash()
        return real_complete(job, certificate_id, **options)

    monkeypatch.setattr(queue, "complete", complete_or_crash)

    job = crash_then_recover(issuer)

    assert job.status == JobStatus.SUCCESS
    assert Certificate.objects.count() == 1
    assert issuer.calls == 1  # the stored certificate was found: the issuer was not called again
    assert job.certificate_id == Certificate.objects.get().pk


def test_a_second_job_for_the_same_inspection_reuses_the_certificate(batch):
    inspection = make_inspection(batch)
    issuer = Issuer()
    Worker(issue=issuer, poll_interval_ms=20).run(once=True)
    IssuanceJob.objects.delete()  # e.g. the finished job expired after 30 days…
    queue.enqueue(inspection, trigger="command")  # …and someone enqueued again

    Worker(issue=issuer, poll_interval_ms=20).run(once=True)

    assert issuer.calls == 1
    assert Certificate.objects.count() == 1
    assert IssuanceJob.objects.get().status == JobStatus.SUCCESS


def test_a_worker_whose_lease_was_taken_over_cannot_record_a_result(batch):
    make_inspection(batch)
    slow = queue.claim("worker-a", lease_seconds=30)
    queue.recover_expired_leases(utcnow() + timedelta(seconds=31))
    fast = queue.claim("worker-b", lease_seconds=30)

    assert fast.pk == slow.pk and fast.lock_token != slow.lock_token
    assert not queue.renew_lease(slow, 30)
    assert queue.complete(fast, ObjectId())
    assert not queue.complete(slow, slow.pk)
    assert not queue.fail(slow, kind="transient", message="late", worker_id="worker-a", permanent=False).recorded
    assert IssuanceJob.objects.get().status == JobStatus.SUCCESS


def test_leases_are_renewed_while_a_slow_job_runs(batch):
    make_inspection(batch)
    worker = Worker(issue=Issuer(delay=2.0), poll_interval_ms=20, lease_seconds=1)
    sweeping = threading.Event()

    def sweep():  # another worker's recovery sweep, running all the time
        while not sweeping.is_set():
            queue.recover_expired_leases()
            sweeping.wait(0.05)  # its sweep cadence

    sweeper = threading.Thread(target=sweep)
    sweeper.start()
    try:
        worker.run(once=True)
    finally:
        sweeping.set()
        sweeper.join()

    job = IssuanceJob.objects.get()
    assert job.status == JobStatus.SUCCESS and job.attempt_count == 1 and not job.errors


def test_a_dead_workers_job_with_no_attempts_left_fails_for_good(batch):
    make_inspection(batch)
    IssuanceJob.objects.update_one(set__attempts_left=1, set__attempt_count=2)
    queue.claim("dead-worker", lease_seconds=30)

    queue.recover_expired_leases(utcnow() + timedelta(seconds=31))

    job = IssuanceJob.objects.get()
    assert job.gave_up
    assert job.errors[-1].kind == ErrorKind.LEASE_EXPIRED and "dead-worker" in job.errors[-1].message


def test_a_job_that_gives_up_because_its_worker_died_on_the_last_attempt_tells_exporter_and_staff(batch):
    """Every give-up is told to the exporter and staff, also one found by lease recovery."""
    from issuance.processing import recover_expired_leases
    from notifications.models import Notification, NotificationKind

    make_inspection(batch)
    IssuanceJob.objects.update_one(set__attempts_left=1, set__attempt_count=2)
    Worker(issue=Issuer(crash_before=True), poll_interval_ms=20, lease_seconds=30).run(once=True)  # dies mid-job
    assert IssuanceJob.objects.get().status == JobStatus.PROCESSING

    recover_expired_leases(utcnow() + timedelta(seconds=31))  # another worker's sweep
    recover_expired_leases(utcnow() + timedelta(seconds=200))  # and a later one: told once

    told = Notification.objects(kind=NotificationKind.ISSUANCE_FAILED)
    assert IssuanceJob.objects.get().gave_up
    assert sorted(n.recipient for n in told) == ["exporter", "staff"]
    exporter, staff = told.get(recipient="exporter"), told.get(recipient="staff")
    assert "the issuing process stopped" in exporter.message and "staff have been told" in exporter.message.lower()
    assert "stopped renewing its lease" in staff.message  # staff get the technical reason
    assert batch.batch_number in exporter.title and batch.batch_number in staff.title


def test_a_job_released_after_its_certificate_was_stored_is_not_issued_twice(batch, monkeypatch):
    """Shutdown releases a job whose thread is still running; past its last lease check, the
    thread may store the certificate afterwards. The next worker must find it instead of calling
    the issuer again."""
    inspection = make_inspection(batch)
    job = queue.claim("worker-a", lease_seconds=30)
    store = processing.store_certificate

    def released_then_stored(*args, **kwargs):
        assert queue.release(job)  # the grace period ran out…
        return store(*args, **kwargs)

    monkeypatch.setattr(processing, "store_certificate", released_then_stored)
    processing.process(job, "worker-a", Issuer())  # …and the old thread finished (its completion is fenced out)
    monkeypatch.setattr(processing, "store_certificate", store)
    assert Certificate.objects.count() == 1
    issuer = Issuer()

    Worker(issue=issuer, poll_interval_ms=20).run(once=True)

    assert issuer.calls == 0
    assert Certificate.objects.count() == 1 and Certificate.objects.get().inspection.pk == inspection.pk
    assert IssuanceJob.objects.get().status == JobStatus.SUCCESS


def test_a_thread_whose_job_was_released_before_it_stored_stores_nothing(batch):
    make_inspection(batch)
    job = queue.claim("worker-a", lease_seconds=30)
    assert queue.release(job)

    result = processing.process(job, "worker-a", Issuer())

    assert result.outcome == processing.JobOutcome.LEASE_LOST
    assert Certificate.objects.count() == 0
    assert IssuanceJob.objects.get().status == JobStatus.PENDING
