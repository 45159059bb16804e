"""Admin actions on jobs and certificates: permissions, CSRF, confirmation, and what they change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from certificates.models import CertificateStatus
from core.clock import utcnow
from issuance import queue
from issuance.inji import PermanentIssuerError
from issuance.inji.mock import issue as mock_issue
from issuance.models import ErrorKind, IssuanceJob, JobStatus, WorkerHeartbeat
from issuance.worker import Worker
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs
from tests.waiting import wait_until

PERMISSIONS = {
    "retry": "issuance.retry_job",
    "cancel": "issuance.cancel_job",
    "release": "issuance.release_job",
    "revoke": "certificates.revoke_certificate",
    "enqueue": "issuance.enqueue_job",
}


def login(django_user_model, username: str, *, staff: bool, permissions: tuple[str, ...] = ()) -> Client:
    user = django_user_model.objects.create_user(username, password="pw-123456", is_staff=staff)
    if permissions:
        group = Group.objects.create(name=f"{username}-group")
        for permission in permissions:
            app_label, codename = permission.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        user.groups.add(group)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post(client: Client, url: str, **data: str):
    """POST like a browser: with the CSRF token from the cookie the admin set."""
    client.get(reverse("admin:login"), follow=True)
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    return client.post(url, {"csrfmiddlewaretoken": token, **data})


def failed_job(batch) -> IssuanceJob:
    make_inspection(batch)

    def refuse(*args, **kwargs):
        raise PermanentIssuerError("Inji Certify refused the request (400 invalid_request)")

    run_due_jobs(refuse)
    return IssuanceJob.objects.get(batch_id=batch.pk)


def stuck_job(batch, *, worker_alive: bool) -> IssuanceJob:
    make_inspection(batch)
    job = queue.claim("host-a:99:dead01", lease_seconds=300)
    WorkerHeartbeat(
        worker_id="host-a:99:dead01",
        host="host-a",
        pid=99,
        started_at=utcnow() - timedelta(hours=1),
        last_seen_at=utcnow() if worker_alive else utcnow() - timedelta(minutes=10),
        concurrency=2,
    ).save()
    return job


def action_url(action: str, target) -> str:
    if action == "revoke":
        return reverse("admin:certificates-certificate-revoke", args=[target.pk])
    if action == "enqueue":
        return reverse("admin:issuance-enqueue")
    return reverse(f"admin:issuance-job-{action}", args=[target.pk])


@pytest.fixture
def targets(batch):
    return {
        "enqueue": failed_job(make_batch("E-1")),  # gave up: enqueueing re-queues it
        "retry": failed_job(batch),
        "cancel": IssuanceJob.objects(pk=queue.enqueue(make_inspection(make_batch("P-1")), trigger="api").job.pk).get(),
        "release": stuck_job(make_batch("S-1"), worker_alive=False),
        "revoke": issue_certificate(make_inspection(make_batch("C-1"))),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(PERMISSIONS))
def test_permission_matrix(action, targets, django_user_model):
    url = action_url(action, targets[action])
    data = {"batch": "E-1"} if action == "enqueue" else {}

    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post(url).status_code == 403  # no CSRF token
    response = post(anonymous, url, **data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))

    outsider = login(django_user_model, "outsider", staff=False, permissions=(PERMISSIONS[action],))
    response = post(outsider, url, **data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))

    staff = login(django_user_model, "staff", staff=True)
    assert post(staff, url, **data).status_code == 403

    operator = login(django_user_model, "operator", staff=True, permissions=(PERMISSIONS[action],))
    assert operator.get(url).status_code == 405
    assert operator.post(url, data).status_code == 403  # no CSRF token
    confirmation = post(operator, url, **data)
    assert confirmation.status_code == 200 and "Yes, I’m sure" in confirmation.content.decode()


@pytest.mark.django_db
def test_retry_resets_a_job_that_gave_up_and_records_who(batch, django_user_model):
    job = failed_job(batch)
    operator = login(django_user_model, "operator", staff=True, permissions=("issuance.retry_job",))

    response = post(operator, action_url("retry", job), confirm="yes")

    assert response.status_code == 302
    job.reload()
    assert job.status == JobStatus.PENDING and job.attempt_count == 0 and job.attempts_left == 3
    assert job.retried_by == "operator" and job.retried_at is not None
    assert job.errors[0].kind == ErrorKind.PERMANENT  # the history stays
    messages = [m.message for m in operator.get(response["Location"]).context["messages"]]
    assert any("will be retried now" in m for m in messages)


@pytest.mark.django_db(transaction=True)
def test_a_retried_job_is_picked_up_by_a_running_worker(batch, admin_user):
    job = failed_job(batch)
    worker = Worker(issue=mock_issue, poll_interval_ms=60_000)
    thread = worker.start_in_background()
    try:
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        post(client, action_url("retry", job), confirm="yes")
        wait_until(lambda: job.reload().status == JobStatus.SUCCESS, what="the worker to issue the retried job")
    finally:
        worker.stop()
        thread.join(5)
    assert job.certificate_id is not None


@pytest.mark.django_db
def test_retry_selected_jobs(batch, admin_client):
    first = failed_job(batch)
    pending = queue.enqueue(make_inspection(make_batch("OTHER-1")), trigger="api").job

    response = admin_client.post(
        reverse("admin:issuance-retry-selected"), {"ids": [str(first.pk), str(pending.pk)], "confirm": "yes"}
    )

    assert response.status_code == 302
    assert first.reload().status == JobStatus.PENDING
    messages = [m.message for m in admin_client.get(response["Location"]).context["messages"]]
    assert "1 job(s) will be retried now. 1 skipped: not failed." in messages


@pytest.mark.django_db
def test_cancel_stops_a_pending_job_for_good(batch, admin_client):
    job = queue.enqueue(make_inspection(batch), trigger="api").job

    admin_client.post(action_url("cancel", job), {"confirm": "yes"})

    job.reload()
    assert job.gave_up and job.errors[-1].kind == ErrorKind.CANCELLED
    assert queue.claim("w", 30) is None


@pytest.mark.django_db
def test_release_hands_back_a_job_whose_worker_is_gone(batch, admin_client):
    job = stuck_job(batch, worker_alive=False)

    admin_client.post(action_url("release", job), {"confirm": "yes"})

    job.reload()
    assert job.status == JobStatus.PENDING and job.attempt_count == 0 and job.lock_token is None
    assert queue.claim("w", 30).pk == job.pk


@pytest.mark.django_db
def test_release_refuses_while_the_worker_is_alive_before_asking_for_confirmation(batch, admin_client):
    job = stuck_job(batch, worker_alive=True)

    response = admin_client.post(action_url("release", job))

    assert response.status_code == 302  # no "Yes, I'm sure" page for something it will not do
    assert job.reload().status == JobStatus.PROCESSING
    messages = [m.message for m in admin_client.get(response["Location"]).context["messages"]]
    assert any("is alive" in m for m in messages)


@pytest.mark.django_db
def test_enqueue_a_batch_from_the_admin(admin_client):
    batch = make_batch("ENQ-1")
    inspection = make_inspection(batch, outcome="failed")
    type(inspection).objects(pk=inspection.pk).update_one(set__outcome="passed")

    admin_client.post(reverse("admin:issuance-enqueue"), {"batch": "ENQ-1", "confirm": "yes"})
    response = admin_client.post(reverse("admin:issuance-enqueue"), {"batch": "NOPE", "confirm": "yes"})

    job = IssuanceJob.objects.get()
    assert job.trigger == "admin" and job.requested_by == "admin"
    messages = [m.message for m in admin_client.get(response["Location"]).context["messages"]]
    assert "No batch has the number or id 'NOPE'." in messages


@pytest.mark.django_db
def test_enqueueing_a_certified_batch_is_refused_before_asking_for_confirmation(admin_client):
    issue_certificate(make_inspection(make_batch("DONE-1")))
    jobs_before = IssuanceJob.objects.count()

    response = admin_client.post(reverse("admin:issuance-enqueue"), {"batch": "DONE-1"})

    assert response.status_code == 302  # straight back to the list, no "Yes, I'm sure" page
    messages = [m.message for m in admin_client.get(response["Location"]).context["messages"]]
    assert any(m.startswith("Batch DONE-1 already has certificate urn:uuid:") for m in messages)
    assert IssuanceJob.objects.count() == jobs_before


@pytest.mark.django_db
def test_revoking_needs_a_reason_and_then_revokes(batch, admin_client):
    certificate = issue_certificate(make_inspection(batch))
    url = action_url("revoke", certificate)

    without_reason = admin_client.post(url, {"confirm": "yes", "reason": " "})
    assert without_reason.status_code == 200 and "Give a reason" in without_reason.content.decode()
    assert certificate.reload().status == CertificateStatus.ACTIVE

    admin_client.post(url, {"confirm": "yes", "reason": "Moisture re-test failed"})

    certificate.reload()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.revocation_reason == "Moisture re-test failed" and certificate.revoked_by == "admin"
