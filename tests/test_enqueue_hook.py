"""A passed inspection gets exactly one issuance job, however it is saved."""

from __future__ import annotations

import threading

from certificates.models import Batch, BatchStatus, Certificate, certificate_key
from issuance.models import IssuanceJob, JobStatus, Trigger
from tests.factories import make_inspection


def test_a_passed_inspection_enqueues_one_pending_job(batch):
    inspection = make_inspection(batch)

    job = IssuanceJob.objects.get()
    assert job.inspection_id == inspection.pk
    assert job.batch_number == batch.batch_number
    assert job.status == JobStatus.PENDING
    assert job.trigger == Trigger.AUTOMATIC
    assert job.attempts_left == job.max_attempts == 3
    assert job.next_attempt_at is not None


def test_saving_a_passed_inspection_again_does_not_enqueue_again(batch):
    inspection = make_inspection(batch)
    for note in ("re-weighed", "typo fixed", "final"):
        inspection.notes = note
        inspection.save()

    assert IssuanceJob.objects.count() == 1


def test_a_failed_inspection_enqueues_nothing(batch):
    make_inspection(batch, outcome="failed")

    assert IssuanceJob.objects.count() == 0
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.INSPECTION_FAILED


def test_an_inspection_changed_from_failed_to_passed_enqueues_once(batch):
    inspection = make_inspection(batch, outcome="failed")
    inspection.outcome = "passed"
    inspection.save()
    inspection.save()

    assert IssuanceJob.objects.count() == 1
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.AWAITING_CERTIFICATE


def test_racing_saves_of_the_same_passed_inspection_leave_one_job(batch):
    inspection = make_inspection(batch, outcome="failed")
    inspection.outcome = "passed"
    start = threading.Barrier(8)
    errors = []

    def save() -> None:
        start.wait()
        try:
            inspection.save()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert IssuanceJob.objects.count() == 1


def test_no_job_when_the_inspection_already_has_its_certificate(batch):
    inspection = make_inspection(batch, outcome="failed")
    Certificate(
        certificate_key=certificate_key(inspection.pk),
        batch=batch,
        inspection=inspection,
        credential_json="{}",
        credential_id="urn:uuid:00000000-0000-0000-0000-000000000001",
        issuer_did="did:key:z6Mk",
        issued_via="mock",
        issued_at=inspection.inspected_at,
    ).save()
    inspection.outcome = "passed"
    inspection.save()

    assert IssuanceJob.objects.count() == 0
