"""The worker issues, and operators revoke, through Inji Certify (INJI_MOCK_MODE=false), against the fake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from certificates.models import Certificate
from core.clock import utcnow
from issuance.models import IssuanceJob, JobStatus
from tests.conftest import database_env
from tests.factories import make_inspection, run_due_jobs
from tests.fake_inji import issuing_through

ROOT = Path(__file__).resolve().parent.parent
GATEWAY_KEY = "gateway-key-e2e-5b1c"


@pytest.fixture
def inji(settings, tmp_path):
    yield from issuing_through(settings, tmp_path, GATEWAY_KEY)


def test_the_worker_process_issues_through_inji_certify(inji, tmp_path):
    env = {
        **os.environ,
        "INJI_MOCK_MODE": "false",
        "INJI_API_URL": inji.url,
        "INJI_ISSUER_DID": inji.did,
        "INJI_API_KEY": GATEWAY_KEY,
        "INJI_HOLDER_KEY_FILE": str(tmp_path / "holder.key"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MOCK_ISSUER_KEY_FILE": str(tmp_path / "issuer.key"),
    }
    env = database_env(env)  # the tests' own MongoDB when MONGODB_TEST_URI is set

    result = subprocess.run(
        [sys.executable, "tests/worker_process.py", "2", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stderr
    assert [job["status"] for job in state["jobs"]] == ["success", "success"] and state["certificates"] == 2
    numbers = sorted(c["credentialSubject"]["assessedProduct"]["batchNumber"] for c in inji.issued)
    assert numbers == ["PROC-0000", "PROC-0001"]
    assert (tmp_path / "holder.key").stat().st_mode & 0o777 == 0o600
    assert GATEWAY_KEY not in result.stderr + result.stdout


@pytest.mark.django_db
def test_a_transient_failure_is_retried_from_the_push(inji, batch):
    make_inspection(batch)
    inji.fail_next("/issuance/credential", "503")

    run_due_jobs()
    job = IssuanceJob.objects.get()
    assert job.will_retry and "503" in job.errors[-1].message
    IssuanceJob.objects(pk=job.pk).update_one(set__next_attempt_at=utcnow())
    run_due_jobs()

    assert IssuanceJob.objects.get().status == JobStatus.SUCCESS
    assert len(inji.requests_to("/pre-authorized-data")) == 2  # the spent code was not reused
    certificate = Certificate.objects.get()
    assert certificate.issued_via == "inji" and certificate.issuer_did == inji.did


@pytest.mark.django_db
def test_revoking_an_inji_certificate_reaches_inji_and_every_verifier_sees_it(inji, batch, api):
    make_inspection(batch)
    run_due_jobs()
    certificate = Certificate.objects.get()
    before = api["anonymous"].post("/api/v1/verify/", {"credential": certificate.credential}, format="json").json()

    call_command("revoke_certificate", certificate.credential_id, "--reason", "Lab re-test failed")

    after = api["anonymous"].post("/api/v1/verify/", {"credential": certificate.credential}, format="json").json()
    assert before["valid"] is True and before["revocation"]["ok"] is True
    assert inji.revoked(certificate.status_list_id, certificate.status_list_index)
    assert after["valid"] is False and after["revocation"]["reason"] == "revoked by its issuer"
    assert certificate.reload().revocation_published is True


@pytest.mark.django_db
def test_a_revocation_inji_did_not_take_is_recorded_and_revoking_again_repairs_it(inji, batch):
    make_inspection(batch)
    run_due_jobs()
    certificate = Certificate.objects.get()
    inji.fail_next("/credentials/v2/status", "503")

    with pytest.raises(CommandError, match="did not take the revocation.*Revoke it again to retry"):
        call_command("revoke_certificate", certificate.credential_id, "--reason", "fraud")
    assert certificate.reload().status == "revoked" and certificate.revocation_published is False
    assert not inji.revoked(certificate.status_list_id, certificate.status_list_index)

    call_command("revoke_certificate", certificate.credential_id, "--reason", "fraud")

    assert certificate.reload().revocation_published is True
    assert inji.revoked(certificate.status_list_id, certificate.status_list_index)
