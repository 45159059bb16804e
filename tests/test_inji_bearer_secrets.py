"""What hands out a credential — the offer URI, its pre-authorized code, the access token — is
never stored, logged or shown, whichever step of the Inji flow fails and however."""

from __future__ import annotations

import logging

import pytest

from core.clock import utcnow
from issuance.models import IssuanceJob
from notifications.models import Notification
from tests.factories import make_inspection, run_due_jobs
from tests.fake_inji import FakeInjiCertify, issuing_through

pytestmark = pytest.mark.django_db
GATEWAY_KEY = "gateway-key-bearer-7d2e"


@pytest.fixture
def inji(settings, tmp_path):
    settings.INJI_TIMEOUT_SECONDS = 1
    for server in issuing_through(settings, tmp_path, GATEWAY_KEY):
        server.stall_seconds = 3
        yield server


def secrets_handed_out(inji: FakeInjiCertify) -> set[str]:
    """Every offer id, pre-authorized code and access token the fake gave out, and the gateway key."""
    tokens = {
        entry["headers"].get("Authorization", "").removeprefix("Bearer ")
        for entry in inji.log
        if entry["path"].endswith("/issuance/credential")
    }
    return {*inji.offers, *inji.codes, *tokens, GATEWAY_KEY} - {""}


def everything_people_and_logs_see(api, admin_client, job: IssuanceJob, logs: str) -> dict[str, str]:
    job.reload()
    batch = job.batch_number
    return {
        "job errors": " ".join(error.message for error in job.errors),
        "logs": logs,
        "API issuance status": api["exporter"].get(f"/api/v1/batches/{batch}/issuance/").content.decode(),
        "admin job page": admin_client.get(f"/admin/issuance/jobs/{job.pk}/").content.decode(),
        "admin job list": admin_client.get("/admin/issuance/jobs/").content.decode(),
        "batch page": admin_client.get(f"/admin/certificates/batches/{job.batch_id}/").content.decode(),
        "notifications": " ".join(f"{n.title} {n.message}" for n in Notification.objects),
    }


@pytest.mark.parametrize(
    "step, fault",
    [
        ("/credential-offer-data/", "stall"),  # a timeout on the offer step used to print its URL
        ("/credential-offer-data/", "503"),
        ("/oauth/token", "stall"),
        ("/oauth/token", "garbage"),
        ("/issuance/credential", "stall"),
        ("/issuance/credential", "html"),
    ],
)
def test_no_bearer_secret_reaches_a_message_a_log_or_a_page(inji, api, admin_client, batch, caplog, step, fault):
    caplog.set_level(logging.DEBUG)
    inji.fail_next(step, fault)
    make_inspection(batch)

    run_due_jobs()  # fails at the step
    job = IssuanceJob.objects.get()
    assert job.errors, "the fault should have failed the attempt"
    IssuanceJob.objects(pk=job.pk).update(set__next_attempt_at=utcnow())
    run_due_jobs()  # and the retry issues

    secrets = secrets_handed_out(inji)
    assert len(inji.offers) == 2 and len(secrets) >= 5
    seen = everything_people_and_logs_see(api, admin_client, job, caplog.text)
    leaks = {where: sorted(s[:12] for s in secrets if s in text) for where, text in seen.items()}
    assert leaks == {where: [] for where in seen}
    assert job.reload().status == "success"
    named = {"/credential-offer-data/": "offer", "/oauth/token": "token", "/issuance/credential": "credential"}[step]
    assert named in job.errors[0].message, job.errors[0].message
