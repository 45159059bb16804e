"""Graceful shutdown of a real worker process on SIGTERM/SIGINT, and a second signal exiting at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import database_env
from tests.fake_inji import FakeInjiCertify
from tests.waiting import Lines, wait_until

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def inji():
    server = FakeInjiCertify().start()
    yield server
    server.stop()


def start_worker(inji, tmp_path, jobs: int, *options: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "INJI_MOCK_MODE": "false",
        "INJI_API_URL": inji.url,
        "INJI_ISSUER_DID": inji.did,
        "INJI_HOLDER_KEY_FILE": str(tmp_path / "holder.key"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MOCK_ISSUER_KEY_FILE": str(tmp_path / "issuer.key"),
    }
    env = database_env(env)  # the tests' own MongoDB when MONGODB_TEST_URI is set
    return subprocess.Popen(
        [sys.executable, "tests/worker_process.py", str(jobs), *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_requests(inji, count: int, timeout: float = 30) -> None:
    requests = inji.requests
    wait_until(lambda: requests["POST /v1/certify/issuance/credential"] >= count, timeout=timeout, what="issuer calls")


def final_state(process: subprocess.Popen, timeout: float = 30) -> tuple[int, dict | None, str]:
    stdout, stderr = process.communicate(timeout=timeout)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return process.returncode, json.loads(lines[-1]) if lines else None, stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_claiming_and_lets_active_jobs_finish(inji, tmp_path, signum):
    inji.latency = 0.5
    process = start_worker(inji, tmp_path, 4, "--concurrency", "2", "--poll-interval", "50", "--grace", "20")
    wait_for_requests(inji, 1)

    process.send_signal(signum)
    code, state, stderr = final_state(process)

    assert code == 0, stderr
    assert f"{signum.name} received" in stderr
    statuses = sorted(job["status"] for job in state["jobs"])
    assert statuses == ["pending", "pending", "success", "success"]  # two were active, two never claimed
    assert state["certificates"] == 2
    assert all(job["attempt_count"] == 0 for job in state["jobs"] if job["status"] == "pending")
    assert "outcome=stopped" in stderr and "success=2" in stderr


def test_jobs_still_running_after_the_grace_period_are_released_without_spending_an_attempt(inji, tmp_path):
    inji.latency = 8
    process = start_worker(inji, tmp_path, 2, "--concurrency", "2", "--poll-interval", "50", "--grace", "1")
    wait_for_requests(inji, 2)

    process.send_signal(signal.SIGTERM)
    code, state, stderr = final_state(process)

    assert code == 0, stderr
    assert inji.answered["POST /v1/certify/issuance/credential"] == 0  # it did not wait for the 8 s issuer
    assert [job["status"] for job in state["jobs"]] == ["pending", "pending"]
    assert [job["attempt_count"] for job in state["jobs"]] == [0, 0]
    assert stderr.count("outcome=released") == 2


def test_a_second_signal_exits_at_once(inji, tmp_path):
    inji.latency = 8
    process = start_worker(inji, tmp_path, 2, "--concurrency", "2", "--poll-interval", "50", "--grace", "60")
    wait_for_requests(inji, 2)

    errors = Lines(process.stderr)
    process.send_signal(signal.SIGTERM)
    errors.wait_for("SIGTERM received")  # the worker is stopping: the next signal is the second
    process.send_signal(signal.SIGINT)
    code = process.wait(10)
    stdout = process.stdout.read()

    assert inji.answered["POST /v1/certify/issuance/credential"] == 0  # it did not wait for the jobs
    assert code == 128 + signal.SIGINT
    assert "{" not in stdout  # no clean shutdown, no final state: the leases will bring the jobs back
