"""In the embedded mode the worker runs in the web process and wakes up when a job is enqueued."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from issuance.inji.mock import issue as mock_issue
from issuance.models import IssuanceJob, JobStatus
from issuance.worker import Worker
from tests.commands import serving_the_demo
from tests.factories import make_inspection
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_this_process_starts_without_waiting_for_the_poll(batch):
    worker = Worker(issue=mock_issue, poll_interval_ms=600_000)  # its next poll is ten minutes away
    thread = worker.start_in_background()
    try:
        wait_until(lambda: worker.polls >= 1, what="the worker's first poll")  # now it sleeps
        make_inspection(batch)
        # Only the wake-up can start the job before the test's own deadline (10 s ≪ 10 min).
        wait_until(lambda: IssuanceJob.objects.get().status == JobStatus.SUCCESS, what="the woken worker")
    finally:
        worker.stop()
        thread.join(5)


def test_the_run_command_serves_the_app_and_certifies_the_demo_batch(tmp_path):
    with serving_the_demo(tmp_path) as (address, lines):
        with urllib.request.urlopen(f"http://{address}/admin/login/", timeout=10) as response:
            assert response.status == 200
    output = lines.text()
    assert "Demo data: DEMO-RICE-001" in output
    assert f"Public links use SITE_URL=http://{address}" in output  # links that reach this server
    assert re.search(r"batch=DEMO-RICE-001 attempt=1 outcome=success", output), output
    assert "batch=DEMO-COFFEE-002" not in output  # the failed inspection issues nothing
    assert "batch=DEMO-TEA-004 attempt=" not in output  # its job gave up in the demo: a retry waits in the admin
