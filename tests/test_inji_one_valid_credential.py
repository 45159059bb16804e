"""At most one credential per inspection revision that Inji Certify calls valid, across crashes and
partitions: Certify's answer is kept on the job before anything else, and every credential that
cannot be kept is revoked at Certify and recorded as an orphan (issuance/orphans.py).

Counted at the fake Certify: what it issued (`issued`) and which of those its status list calls
revoked. A worker "frozen past its lease" is a job thread that stops on an event while nothing
renews its lease (as when its process is paused or cut off), and lease recovery runs as another
worker's sweep would.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from certificates.models import Certificate
from core.clock import utcnow
from issuance import orphans, processing, queue
from issuance.inji import issue_credential
from issuance.inji.certify import CertifyClient
from issuance.models import IssuanceJob, JobStatus, OrphanCredential, OrphanState
from issuance.worker import Worker
from tests.factories import make_inspection, run_due_jobs
from tests.fake_inji import FakeInjiCertify, issuing_through

GATEWAY_KEY = "gateway-key-orphans-3f9a"


@pytest.fixture
def inji(settings, tmp_path):
    yield from issuing_through(settings, tmp_path, GATEWAY_KEY)


class Crash(BaseException):
    """The worker's process died here."""


def valid_at_certify(inji: FakeInjiCertify) -> list[dict]:
    """The credentials Certify issued whose revocation bit is not set."""
    return [
        credential
        for credential in inji.issued
        if not inji.revoked(
            credential["credentialStatus"]["statusListCredential"],
            int(credential["credentialStatus"]["statusListIndex"]),
        )
    ]


def after_the_lease_expired() -> int:
    """Another worker's sweep, once the lease (30 s here) has run out."""
    return processing.recover_expired_leases(utcnow() + timedelta(seconds=31))


# -- a crash after Certify answered ---------------------------------------------------------------


def crash_once(monkeypatch, owner: object, name: str) -> None:
    real = getattr(owner, name)
    crashed = []

    def crashing(*args, **kwargs):
        if not crashed:
            crashed.append(True)
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, crashing)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "owner, name",
    [(CertifyClient, "accept"), (processing, "store_certificate")],
    ids=["while checking the answer", "while storing the certificate"],
)
def test_a_crash_after_certify_answered_is_retried_with_the_kept_answer(inji, batch, monkeypatch, owner, name):
    make_inspection(batch)
    crash_once(monkeypatch, owner, name)
    job = queue.claim("worker-a", 30)
    with pytest.raises(Crash):
        processing.process(job, "worker-a", lease_seconds=30)
    assert IssuanceJob.objects.get().received_credential  # kept before anything else

    assert after_the_lease_expired() == 1
    run_due_jobs()

    job, certificate = IssuanceJob.objects.get(), Certificate.objects.get()
    assert job.status == JobStatus.SUCCESS and job.attempt_count == 2 and job.received_credential is None
    assert len(inji.requests_to("/pre-authorized-data")) == 1 and len(inji.issued) == 1
    assert certificate.credential == inji.issued[0] and valid_at_certify(inji) == inji.issued
    assert OrphanCredential.objects.count() == 0


# -- two workers, one frozen past its lease ---------------------------------------------------------


def frozen_at(point: str, reached: threading.Event, thaw: threading.Event):
    """An issuer that stops when Certify has answered, before (`before_keeping`) or after
    (`after_keeping`) the worker kept the answer on the job, until `thaw`."""

    def issue(batch, inspection, *, certificate_key, received):
        def keep(credential):
            if point == "after_keeping":
                received(credential)
            reached.set()
            assert thaw.wait(30)
            if point == "before_keeping":
                received(credential)

        return issue_credential(batch, inspection, certificate_key=certificate_key, received=keep)

    return issue


def run_frozen_worker_and_another(point: str) -> processing.JobResult:
    """Worker A freezes at `point`; worker B recovers its lease, claims the job and finishes it;
    then A thaws and carries on. Returns A's result."""
    reached, thaw, result = threading.Event(), threading.Event(), []
    job = queue.claim("worker-a", 30)
    frozen = threading.Thread(
        target=lambda: result.append(processing.process(job, "worker-a", frozen_at(point, reached, thaw), 30))
    )
    frozen.start()
    try:
        assert reached.wait(10), "worker A never got Certify's answer"
        assert after_the_lease_expired() == 1
        summary = Worker(poll_interval_ms=20).run(once=True)
        assert summary["success"] == 1
    finally:
        thaw.set()
        frozen.join(30)
    return result[0]


@pytest.mark.django_db(transaction=True)
def test_a_worker_frozen_before_keeping_certifys_answer_sees_its_credential_revoked(inji, batch):
    make_inspection(batch)

    frozen_result = run_frozen_worker_and_another("before_keeping")

    certificate = Certificate.objects.get()
    late = next(credential for credential in inji.issued if credential != certificate.credential)
    assert frozen_result.outcome == processing.JobOutcome.LEASE_LOST
    assert len(inji.issued) == 2 and valid_at_certify(inji) == [certificate.credential]
    orphan = OrphanCredential.objects.get()
    assert orphan.credential_id == late["id"] and orphan.state == OrphanState.REVOKED
    assert orphan.worker == "worker-a" and "lost the job's lease" in orphan.reason
    assert IssuanceJob.objects.get().status == JobStatus.SUCCESS


@pytest.mark.django_db(transaction=True)
def test_a_worker_frozen_after_keeping_certifys_answer_leaves_it_to_the_next_worker(inji, batch):
    make_inspection(batch)

    frozen_result = run_frozen_worker_and_another("after_keeping")

    assert frozen_result.outcome == processing.JobOutcome.LEASE_LOST  # it stored nothing
    assert len(inji.issued) == 1 and valid_at_certify(inji) == inji.issued
    assert Certificate.objects.get().credential == inji.issued[0]
    assert OrphanCredential.objects.count() == 0


# -- credentials that cannot be kept are revoked at Certify ---------------------------------------------


@pytest.mark.django_db
def test_a_credential_from_the_wrong_issuer_is_revoked_at_certify_and_recorded(inji, batch, settings):
    settings.INJI_ISSUER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    make_inspection(batch)

    run_due_jobs()

    job = IssuanceJob.objects.get()
    orphan = OrphanCredential.objects.get()
    assert job.gave_up and job.received_credential is None and job.unkept == []
    assert len(inji.issued) == 1 and valid_at_certify(inji) == []
    assert orphan.state == OrphanState.REVOKED and orphan.job_id == job.pk and "INJI_ISSUER_DID" in orphan.reason
    assert Certificate.objects.count() == 0


@pytest.mark.django_db
def test_a_revocation_certify_did_not_take_stays_pending_until_a_sweep_gets_it_through(inji, batch, settings):
    settings.INJI_ISSUER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    inji.fail_next("/credentials/v2/status", "503")
    make_inspection(batch)

    run_due_jobs()

    orphan = OrphanCredential.objects.get()
    assert orphan.state == OrphanState.PENDING and "503" in orphan.last_error and orphan.attempts == 1
    assert valid_at_certify(inji) == inji.issued
    assert orphans.sweep() == 0  # not due yet: Certify is given time

    assert orphans.sweep(utcnow() + timedelta(hours=2)) == 1

    assert orphan.reload().state == OrphanState.REVOKED and valid_at_certify(inji) == []


@pytest.mark.django_db
def test_when_another_certificate_was_stored_first_the_jobs_answer_is_revoked(inji, batch, monkeypatch):
    inspection = make_inspection(batch)
    crash_once(monkeypatch, processing, "store_certificate")
    job = queue.claim("worker-a", 30)
    with pytest.raises(Crash):
        processing.process(job, "worker-a", lease_seconds=30)
    # Meanwhile another certificate for the same inspection was stored (an older job's thread, say).
    first = issue_credential(batch, inspection, certificate_key=job.dedupe_key)
    processing.store_certificate(batch, inspection, first, certificate_key=job.dedupe_key)

    after_the_lease_expired()
    run_due_jobs()

    orphan = OrphanCredential.objects.get()
    assert IssuanceJob.objects.get().status == JobStatus.SUCCESS
    assert len(inji.issued) == 2 and valid_at_certify(inji) == [first.document]
    assert Certificate.objects.get().credential == first.document
    assert orphan.state == OrphanState.REVOKED and "stored for this inspection first" in orphan.reason


@pytest.mark.django_db
def test_a_kept_answer_of_a_job_cancelled_after_a_release_is_revoked_by_the_next_sweep(inji, batch, monkeypatch):
    make_inspection(batch)
    crash_once(monkeypatch, processing, "store_certificate")
    job = queue.claim("worker-a", 30)
    with pytest.raises(Crash):
        processing.process(job, "worker-a", lease_seconds=30)
    queue.release(IssuanceJob.objects.get(), by="operator")  # its worker is gone…
    assert queue.cancel(IssuanceJob.objects.get(), by="operator")  # …and nobody wants the certificate now
    assert valid_at_certify(inji) == inji.issued

    orphans.sweep()

    orphan = OrphanCredential.objects.get()
    assert orphan.state == OrphanState.REVOKED and orphan.reason == "cancelled by operator"
    assert valid_at_certify(inji) == [] and IssuanceJob.objects.get().unkept == []
    assert orphans.sweep() == 0 and OrphanCredential.objects.count() == 1


@pytest.mark.django_db
def test_a_credential_a_certificate_carries_is_never_revoked_as_an_orphan(inji, batch):
    make_inspection(batch)
    run_due_jobs()
    certificate = Certificate.objects.get()

    orphan = orphans.record(certificate.credential, IssuanceJob.objects.get(), reason="a race went the other way")

    assert orphan.state == OrphanState.IN_USE and valid_at_certify(inji) == [certificate.credential]


@pytest.mark.django_db
def test_a_credential_without_a_status_entry_is_recorded_as_unrevocable(inji, batch):
    make_inspection(batch)
    job = IssuanceJob.objects.get()

    orphan = orphans.record({"id": "urn:uuid:no-status"}, job, reason="refused")

    assert orphan.state == OrphanState.UNREVOCABLE and "by hand" in orphan.last_error
    assert inji.requests_to("/credentials/v2/status") == []


# -- operators see them -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_operators_see_orphans_in_the_admin_the_metrics_and_issuance_status(
    inji, batch, settings, admin_client, client
):
    settings.INJI_ISSUER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    inji.fail_next("/credentials/v2/status", "503")
    make_inspection(batch)
    run_due_jobs()
    job, orphan = IssuanceJob.objects.get(), OrphanCredential.objects.get()

    job_page = admin_client.get(f"/admin/issuance/jobs/{job.pk}/").content.decode()
    job_list = admin_client.get("/admin/issuance/jobs/?orphans=unrevoked").content.decode()
    metrics = client.get("/metrics").content.decode()
    out = StringIO()
    call_command("issuance_status", stdout=out)
    with pytest.raises(CommandError, match="not revoked at Inji Certify yet"):
        call_command("issuance_status", "--check", "--min-live-workers", "0", "--max-orphan-pending", "0")

    assert orphan.credential_id in job_page and "not taken yet" in job_page and "503" in job_page
    assert "orphan credentials not revoked" in job_list and str(job.pk) in job_list
    assert 'agriqcert_inji_orphan_credentials{state="pending"} 1.0' in metrics
    assert 'agriqcert_inji_orphan_credentials{state="revoked"} 0.0' in metrics
    assert "Orphan Inji credentials: pending 1  revoked 0" in out.getvalue() and orphan.credential_id in out.getvalue()
