"""In the embedded mode the worker runs in the web process and wakes up when a job is enqueued."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from issuance.inji.mock import issue as mock_issue
from issuance.models import IssuanceJob, JobStatus
from issuance.worker import Worker
from tests.factories import make_inspection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_this_process_starts_without_waiting_for_the_poll(batch):
    started = []

    def timed_issue(batch, inspection, *, certificate_key):
        started.append(time.monotonic())
        return mock_issue(batch, inspection, certificate_key=certificate_key)

    worker = Worker(issue=timed_issue, poll_interval_ms=60_000)  # a poll would take a minute
    thread = worker.start_in_background()
    try:
        time.sleep(0.2)  # the worker has polled once and is asleep
        enqueued = time.monotonic()
        make_inspection(batch)
        deadline = time.monotonic() + 5
        while IssuanceJob.objects.get().status != JobStatus.SUCCESS and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()
        thread.join(5)

    assert IssuanceJob.objects.get().status == JobStatus.SUCCESS
    assert started[0] - enqueued < 1.0  # woken at once, not after the 60 s poll


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
    env.pop("MONGODB_URI", None)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--demo", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            lines.append(process.stdout.readline())
            output = "".join(lines)
            if "outcome=success" in output and "Quit the server with" in output:
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(10)
    output = "".join(lines)
    assert "Demo data: DEMO-RICE-001" in output
    assert re.search(r"batch=DEMO-RICE-001 attempt=1 outcome=success", output), output
    assert "batch=DEMO-COFFEE-002" not in output  # the failed inspection issues nothing
