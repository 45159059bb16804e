"""What strangers send is checked in worker processes with limits: a check that breaches them is
answered (422, or a message on the page) while everyone else is served, and its process is
replaced. Real processes; a check is made deliberately costly by standing in for the worker's task
(tests/engine/isolated_tasks.py) under a lowered CPU limit; waits are on events, never sleeps."""

from __future__ import annotations

import copy
import json
import os
import threading

import pytest

from certificates.trust import verify_from_stranger
from credentials import isolation
from credentials.isolation import Limits
from tests.engine import isolated_tasks
from tests.factories import issue_certificate, make_inspection
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(batch) -> dict:
    return issue_certificate(make_inspection(batch)).credential


@pytest.fixture
def limits(settings) -> Limits:
    settings.VERIFY_PROCESSES, settings.VERIFY_CPU_SECONDS, settings.VERIFY_MEMORY_MB = 2, 1, 512
    return Limits(2, 1, 512)


def test_a_strangers_credential_is_checked_in_a_worker_process(credential, limits):
    assert verify_from_stranger(credential).valid

    assert isolation.pool(limits)._alive >= 1


def test_a_check_over_its_cpu_limit_gets_a_422_a_message_on_the_page_and_the_pool_recovers(
    api, client, credential, limits, monkeypatch
):
    with monkeypatch.context() as patch:
        patch.setattr(isolation, "check_proof_here", isolated_tasks.burn_instead_of_checking)
        response = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json")
        vc_api = api["anonymous"].post("/credentials/verify", {"verifiableCredential": credential}, format="json")
        page = client.post("/verify/", {"text": json.dumps(credential)}).content.decode()

    assert response.status_code == 422 and "more than 1 s of CPU time" in response.json()["detail"]
    assert vc_api.status_code == 422 and "more than 1 s of CPU time" in vc_api.json()["errors"][0]["detail"]
    assert "could not be checked" in page and "more than 1 s of CPU time" in page
    after = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json")
    assert after.status_code == 200 and after.json()["valid"] is True


def test_while_one_check_is_held_other_credentials_are_verified(credential, limits, monkeypatch, tmp_path):
    started, release = tmp_path / "started", tmp_path / "release"
    os.mkfifo(release)
    held = copy.deepcopy(credential)
    held["holdAt"] = [str(started), str(release)]
    monkeypatch.setattr(isolation, "check_proof_here", isolated_tasks.hold_or_check)
    answers: list = []
    holder = threading.Thread(target=lambda: answers.append(verify_from_stranger(held)))
    holder.start()
    wait_until(started.exists, what="the held check to start")

    assert verify_from_stranger(credential).valid  # served by the other process meanwhile

    with open(release, "w", encoding="utf-8") as fifo:
        fifo.write("released")
    holder.join(10)
    assert answers and "released" in answers[0].signature.reason
