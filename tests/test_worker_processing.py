"""The worker turns a passed inspection into a stored, verifiable certificate — or a visible failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from certificates.models import Batch, BatchStatus, Certificate
from certificates.trust import verify
from core.clock import utcnow
from issuance import queue
from issuance.inji import PermanentIssuerError, TransientIssuerError
from issuance.inji.mock import issue as mock_issue
from issuance.models import ErrorKind, IssuanceJob, JobStatus
from issuance.worker import Worker
from notifications.models import Notification, NotificationKind
from tests.factories import make_batch, make_inspection

pytestmark = pytest.mark.django_db(transaction=True)


class CountingIssuer:
    """The mock issuer, counting calls, failing the first `failures` of them with `error`."""

    def __init__(self, failures: int = 0, error: Exception | None = None):
        self.calls = 0
        self.failures = failures
        self.error = error

    def __call__(self, batch, inspection, *, certificate_key, received=None):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return mock_issue(batch, inspection, certificate_key=certificate_key)


def run_once(issuer=None, **options) -> dict:
    options.setdefault("poll_interval_ms", 20)
    return Worker(issue=issuer or CountingIssuer(), **options).run(once=True)


def test_a_passed_inspection_becomes_a_certified_batch_with_a_valid_certificate(batch):
    make_inspection(batch)

    summary = run_once()

    job = IssuanceJob.objects.get()
    certificate = Certificate.objects.get()
    assert summary["success"] == 1
    assert job.status == JobStatus.SUCCESS and job.certificate_id == certificate.pk
    assert job.attempt_count == 1 and job.finished_at is not None
    assert verify(certificate.credential).valid
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.CERTIFIED


def test_success_notifies_the_exporter_by_notification_and_mail(batch, mailoutbox):
    get_user_model().objects.create_user("exporter", email="exports@greenvalley.example")
    make_inspection(batch)

    run_once()

    notification = Notification.objects.get(recipient="exporter")
    assert notification.kind == NotificationKind.CERTIFICATE_READY
    assert batch.batch_number in notification.title
    assert notification.emailed_at is not None
    assert [m.to for m in mailoutbox] == [["exports@greenvalley.example"]]


def test_certificates_after_the_first_cost_the_job_no_sql_query(batch, mailoutbox, django_assert_num_queries):
    """Who gets mail is looked up once a minute, not per certificate; a changed address is used
    from the next certificate on."""
    user = get_user_model().objects.create_user("exporter", email="exports@greenvalley.example")
    make_inspection(batch)
    run_once()
    make_inspection(make_batch("RICE-2026-002"))

    with django_assert_num_queries(0):
        run_once()

    user.email = "certificates@greenvalley.example"
    user.save()
    make_inspection(make_batch("RICE-2026-003"))
    run_once()
    assert [m.to for m in mailoutbox] == [
        ["exports@greenvalley.example"],
        ["exports@greenvalley.example"],
        ["certificates@greenvalley.example"],
    ]


def test_a_missing_batch_fails_for_good_at_once(batch):
    make_inspection(batch)
    Batch._get_collection().delete_one({"_id": batch.pk})
    issuer = CountingIssuer()

    run_once(issuer)

    job = IssuanceJob.objects.get()
    assert job.gave_up and job.attempt_count == 1
    assert job.errors[0].kind == ErrorKind.PERMANENT and "no longer exists" in job.errors[0].message
    assert issuer.calls == 0
    assert Notification.objects(recipient="staff", kind=NotificationKind.ISSUANCE_FAILED).count() == 1


def test_a_permanent_refusal_is_not_retried_and_tells_exporter_and_staff(batch):
    make_inspection(batch)
    issuer = CountingIssuer(
        failures=1, error=PermanentIssuerError("Inji Certify refused the request (400 invalid_request)")
    )

    run_once(issuer)

    job = IssuanceJob.objects.get()
    assert job.gave_up and issuer.calls == 1
    told = {n.recipient: n.message for n in Notification.objects(kind=NotificationKind.ISSUANCE_FAILED)}
    assert set(told) == {"exporter", "staff"}
    assert "400 invalid_request" in told["staff"] and "Retry" in told["staff"]
    assert "400" not in told["exporter"] and "admin" not in told["exporter"]
    assert "did not accept the batch's details" in told["exporter"] and "staff have been told" in told["exporter"]


def test_a_transient_error_is_retried_up_to_three_attempts_with_each_error_kept(batch, settings):
    settings.WORKER_RETRY_BASE_SECONDS = 0  # due again at once, so one run sees every attempt
    make_inspection(batch)
    issuer = CountingIssuer(failures=5, error=TransientIssuerError("Inji Certify is unavailable (503)"))

    run_once(issuer)

    job = IssuanceJob.objects.get()
    assert issuer.calls == 3
    assert job.gave_up and job.attempt_count == 3 and job.attempts_left == 0
    assert [(e.attempt, e.kind) for e in job.errors] == [(1, "transient"), (2, "transient"), (3, "transient")]
    assert all(e.worker and e.at and "503" in e.message for e in job.errors)


def test_a_transient_error_that_clears_ends_in_success(batch, settings):
    settings.WORKER_RETRY_BASE_SECONDS = 0
    make_inspection(batch)

    run_once(CountingIssuer(failures=2, error=TransientIssuerError("timeout")))

    job = IssuanceJob.objects.get()
    assert job.status == JobStatus.SUCCESS and job.attempt_count == 3 and len(job.errors) == 2


def test_a_failed_job_waits_for_its_backoff(batch):
    make_inspection(batch)

    run_once(CountingIssuer(failures=1, error=TransientIssuerError("timeout")))

    job = IssuanceJob.objects.get()
    assert job.will_retry and not job.gave_up
    assert timedelta(seconds=14) < job.next_attempt_at - utcnow() <= timedelta(seconds=30)
    assert queue.claim("another-worker", 60) is None  # not due yet


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.WORKER_RETRY_BASE_SECONDS = 30
    settings.WORKER_RETRY_MAX_SECONDS = 900

    first = [queue.backoff_seconds(1) for _ in range(50)]
    second = [queue.backoff_seconds(2) for _ in range(50)]
    late = [queue.backoff_seconds(12) for _ in range(50)]

    assert all(15 <= s <= 30 for s in first) and all(30 <= s <= 60 for s in second)
    assert all(450 <= s <= 900 for s in late)
    assert len(set(first)) > 1  # jitter: failed jobs do not retry in lockstep


def test_retention_expires_finished_jobs_after_30_days(batch):
    make_inspection(batch)
    run_once()
    job = IssuanceJob.objects.get()

    assert timedelta(days=29, hours=23) < job.expires_at - job.finished_at <= timedelta(days=30)
    assert queue.purge_expired(utcnow() + timedelta(days=29)) == 0
    assert queue.purge_expired(utcnow() + timedelta(days=31)) == 1
    assert Certificate.objects.count() == 1  # the certificate itself is kept


def test_an_unexpected_bug_is_recorded_on_the_job_not_lost(batch):
    make_inspection(batch)

    def broken(batch, inspection, *, certificate_key, received=None):
        raise KeyError("surprise")

    run_once(broken)

    job = IssuanceJob.objects.get()
    assert job.will_retry
    assert "unexpected error: KeyError" in job.errors[0].message
