"""In the embedded mode the worker runs in the web process and wakes up when a job is enqueued."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from issuance.inji.mock import issue as mock_issue
from issuance.models import IssuanceJob, JobStatus
from issuance.worker import Worker
from tests.factories import make_inspection
from tests.waiting import Lines, wait_until

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_run_command_serves_the_app_and_certifies_the_demo_batch(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MOCK_ISSUER_KEY_FILE": str(tmp_path / "issuer.key"),
        "WORKER_POLL_INTERVAL_MS": "200",
    }
    env.pop("MONGODB_URI", None)  # the demo runs only on the embedded store
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--demo", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = Lines(process.stdout)
    try:
        lines.wait_for("outcome=success", timeout=60)
        lines.wait_for("Quit the server with", timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(10)
    output = lines.text()
    assert "Demo data: DEMO-RICE-001" in output
    assert f"Public links use SITE_URL=http://127.0.0.1:{port}" in output  # links that reach this server
    assert re.search(r"batch=DEMO-RICE-001 attempt=1 outcome=success", output), output
    assert "batch=DEMO-COFFEE-002" not in output  # the failed inspection issues nothing
    assert "batch=DEMO-TEA-004 attempt=" not in output  # its job gave up in the demo: a retry waits in the admin
