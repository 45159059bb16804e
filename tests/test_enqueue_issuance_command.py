"""`manage.py enqueue_issuance <batch>` and every way it can refuse."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from certificates.models import Certificate, certificate_key
from issuance.models import IssuanceJob, JobStatus, Trigger
from tests.commands import manage
from tests.factories import make_batch, make_inspection


def enqueue(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("enqueue_issuance", *args, stdout=out)
    return out.getvalue()


def give_up(job: IssuanceJob) -> None:
    IssuanceJob.objects(pk=job.pk).update_one(
        set__status=JobStatus.FAILED, set__next_attempt_at=None, set__attempts_left=0
    )


def add_certificate(inspection, revision: int = 0) -> Certificate:
    return Certificate(
        certificate_key=certificate_key(inspection.pk, revision),
        batch=inspection.batch,
        inspection=inspection,
        revision=revision,
        credential_json="{}",
        credential_id=f"urn:uuid:00000000-0000-0000-0000-00000000000{revision}",
        issuer_did="did:key:z6Mk",
        issued_via="mock",
        issued_at=inspection.inspected_at,
    ).save()


def test_enqueues_by_batch_number_and_prints_the_job_id(batch):
    inspection = make_inspection(batch, outcome="failed")
    # A queryset update bypasses the hook, as a data import would.
    type(inspection).objects(pk=inspection.pk).update_one(set__outcome="passed")
    assert IssuanceJob.objects.count() == 0

    output = enqueue(batch.batch_number, "--by", "ops")

    job = IssuanceJob.objects.get()
    assert str(job.pk) == output.strip().splitlines()[-1]
    assert job.trigger == Trigger.COMMAND and job.requested_by == "ops"


def test_accepts_the_batch_id_too(batch):
    make_inspection(batch)
    give_up(IssuanceJob.objects.get())

    output = enqueue(str(batch.pk))

    assert "Re-queued" in output
    assert IssuanceJob.objects.get().status == JobStatus.PENDING


def test_unknown_batch_is_named():
    with pytest.raises(CommandError, match="No batch has the number or id 'NOPE-1'"):
        enqueue("NOPE-1")


def test_batch_without_a_passed_inspection_is_refused(batch):
    make_inspection(batch, outcome="failed")

    with pytest.raises(CommandError, match="has no passed inspection"):
        enqueue(batch.batch_number)


def test_a_live_job_is_printed_instead_of_a_second_one(batch):
    make_inspection(batch)
    job = IssuanceJob.objects.get()

    with pytest.raises(CommandError, match=f"already has job {job.pk} \\(pending\\)"):
        enqueue(batch.batch_number)
    assert IssuanceJob.objects.count() == 1


def test_a_job_waiting_to_retry_counts_as_live(batch):
    make_inspection(batch)
    IssuanceJob.objects.update_one(set__status=JobStatus.FAILED)

    with pytest.raises(CommandError, match="failed, will retry at"):
        enqueue(batch.batch_number)


def test_an_existing_certificate_needs_reissue(batch):
    inspection = make_inspection(batch)
    job = IssuanceJob.objects.get()
    IssuanceJob.objects(pk=job.pk).update_one(set__status=JobStatus.SUCCESS, set__next_attempt_at=None)
    add_certificate(inspection)

    with pytest.raises(CommandError, match="already has certificate .* Use --reissue"):
        enqueue(batch.batch_number)

    enqueue(batch.batch_number, "--reissue")
    reissue = IssuanceJob.objects(revision=1).get()
    assert reissue.status == JobStatus.PENDING
    assert reissue.dedupe_key == certificate_key(inspection.pk, 1)


def test_uses_the_latest_passed_inspection():
    batch = make_batch("COFFEE-7")
    make_inspection(batch, outcome="failed")
    IssuanceJob.objects.delete()
    later = make_inspection(batch)
    IssuanceJob.objects.delete()

    enqueue("COFFEE-7")

    assert IssuanceJob.objects.get().inspection_id == later.pk


def test_errors_exit_non_zero_without_a_traceback():
    result = manage("enqueue_issuance", "NO-SUCH-BATCH")

    assert result.returncode == 1
    assert "No batch has the number or id 'NO-SUCH-BATCH'" in result.stderr
    assert "Traceback" not in result.stderr
