"""What asking for a batch's certificate means — the same answer from the hook, API, admin and command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from issuance import queue
from issuance.models import ErrorKind, IssuanceJob, JobStatus, Trigger
from issuance.requests import Answer, assess, request_issuance
from tests.factories import issue_certificate, make_batch, make_inspection


def job_of(batch) -> IssuanceJob:
    return IssuanceJob.objects.get(batch_id=batch.pk)


def will_retry(batch) -> IssuanceJob:
    make_inspection(batch)
    job = queue.claim("w", 30)
    queue.fail(job, kind=ErrorKind.TRANSIENT, message="503 from Inji", worker_id="w", permanent=False)
    return job_of(batch)


def gave_up(batch) -> IssuanceJob:
    make_inspection(batch)
    job = queue.claim("w", 30)
    queue.fail(job, kind=ErrorKind.PERMANENT, message="400 from Inji", worker_id="w", permanent=True)
    return job_of(batch)


def test_a_batch_without_a_passed_inspection_is_refused(batch):
    make_inspection(batch, outcome="failed")

    answer = request_issuance(batch, trigger=Trigger.COMMAND)

    assert answer.answer == Answer.NO_PASSED_INSPECTION and answer.refused
    assert IssuanceJob.objects.count() == 0


@pytest.mark.parametrize("state", ["pending", "processing", "will_retry"])
def test_a_job_on_its_way_is_refused_and_named(batch, state):
    if state == "will_retry":
        job = will_retry(batch)
    else:
        make_inspection(batch)
        job = queue.claim("w", 30) if state == "processing" else job_of(batch)

    answer = request_issuance(batch, trigger=Trigger.API)

    assert answer.answer == Answer.ALREADY_QUEUED and answer.job.pk == job.pk
    assert str(job.pk) in answer.message
    assert job_of(batch).attempt_count == job.attempt_count  # untouched: it will run without being asked


def test_a_job_that_gave_up_is_requeued_with_its_history(batch):
    job = gave_up(batch)

    answer = request_issuance(batch, trigger=Trigger.ADMIN, by="operator")

    after = job_of(batch)
    assert answer.answer == Answer.REQUEUED and after.pk == job.pk
    assert after.status == JobStatus.PENDING and after.attempts_left == after.max_attempts
    assert after.retried_by == "operator" and [e.message for e in after.errors] == ["400 from Inji"]


def test_a_certified_batch_is_refused_unless_reissuing_which_asks_for_the_next_revision(batch):
    certificate = issue_certificate(make_inspection(batch))
    queue.complete(queue.claim("w", 30), certificate.pk)

    refused = request_issuance(batch, trigger=Trigger.COMMAND)
    reissued = request_issuance(batch, trigger=Trigger.COMMAND, reissue=True)

    assert refused.answer == Answer.ALREADY_CERTIFIED and certificate.credential_id in refused.message
    assert reissued.answer == Answer.ENQUEUED and reissued.job.revision == 1


def test_assessing_changes_nothing(batch):
    gave_up(batch)

    assessed = assess(batch)

    assert not assessed.refused and job_of(batch).status == JobStatus.FAILED


@pytest.mark.django_db
def test_api_admin_and_command_give_the_same_answer_for_a_job_that_will_retry(api, admin_client):
    batch = make_batch("RETRY-1")
    job = will_retry(batch)

    api_answer = api["staff"].post(f"/api/v1/batches/{batch.batch_number}/issuance/retry/")
    admin_answer = admin_client.post(reverse("admin:issuance-enqueue"), {"batch": batch.batch_number})
    admin_messages = [m.message for m in admin_client.get(admin_answer["Location"]).context["messages"]]
    with pytest.raises(CommandError) as command_answer:
        call_command("enqueue_issuance", batch.batch_number)

    expected = f"Batch RETRY-1 already has {job.describe()}."
    assert api_answer.status_code == 409 and api_answer.json()["detail"] == expected
    assert expected in admin_messages
    assert str(command_answer.value) == expected
    assert job_of(batch).will_retry and job_of(batch).attempt_count == 1  # nobody retried it early
