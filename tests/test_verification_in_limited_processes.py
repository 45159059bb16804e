"""What strangers send is checked in worker processes with limits: a check that breaches them is
answered (422, or a message on the page) while everyone else is served, and its process is
replaced. Real processes; a check is made deliberately costly by standing in for the worker's task
(tests/engine/isolated_tasks.py) under a lowered CPU limit; waits are on events, never sleeps."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from certificates.trust import verify_from_stranger
from credentials import isolation
from credentials.isolation import Limits
from tests.conftest import database_env
from tests.engine import isolated_tasks
from tests.factories import issue_certificate, make_inspection
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def credential(batch) -> dict:
    return issue_certificate(make_inspection(batch)).credential


@pytest.fixture
def limits(settings) -> Limits:
    settings.VERIFY_PROCESSES, settings.VERIFY_CPU_SECONDS, settings.VERIFY_MEMORY_MB = 2, 1, 512
    return Limits(2, 1, 512)


def test_a_strangers_credential_is_checked_in_a_worker_process(credential, limits, monkeypatch):
    monkeypatch.setattr(isolation, "check_proof_here", isolated_tasks.check_and_say_where)

    result = verify_from_stranger(credential)

    assert result.valid
    checked_in = int(result.signature.reason.rsplit("checked in process ", 1)[1].rstrip(")"))
    assert checked_in != os.getpid()


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


def parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
    return found


def descendants(pid: int, parent_of: dict[int, int]) -> set[int]:
    found, pending = set(), [pid]
    while pending:
        parent = pending.pop()
        for child in (child for child, its_parent in parent_of.items() if its_parent == parent):
            found.add(child)
            pending.append(child)
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_under_gunicorn_each_web_process_verifies_in_its_own_pool_and_stops_cleanly(credential, settings, tmp_path):
    """gunicorn forks its workers from a master that never verifies: each worker makes its pool on
    its first verification, and on SIGTERM the master, the workers and their verifying processes
    all exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = database_env(
        {
            **os.environ,
            "SITE_URL": settings.SITE_URL,
            "CREDENTIAL_CONTEXT_URL": settings.CREDENTIAL_CONTEXT_URL,
            "MOCK_ISSUER_KEY_FILE": str(settings.MOCK_ISSUER_KEY_FILE),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
        }
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    with (tmp_path / "gunicorn.log").open("w") as log:
        master = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "agriqcert.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    url, answers = f"http://127.0.0.1:{port}/api/v1/verify/", []

    def verified() -> bool:
        try:
            answers.append(requests.post(url, json={"credential": credential}, timeout=30))
        except requests.ConnectionError:
            return False
        return True

    try:
        wait_until(verified, timeout=60, what="gunicorn to answer")
        assert answers[-1].status_code == 200 and answers[-1].json()["valid"] is True, answers[-1].text
        parent_of = parents()
        family = descendants(master.pid, parent_of)
        forkservers = {
            pid for pid in family if b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
        }
        assert forkservers, "no verifying process was started"
        assert master.pid not in {parent_of[pid] for pid in forkservers}, "the master made a pool its workers inherit"
    finally:
        master.send_signal(signal.SIGTERM)
        code = master.wait(60)

    assert code == 0, (tmp_path / "gunicorn.log").read_text()[-2000:]
    wait_until(lambda: not any(running(pid) for pid in family), timeout=20, what="every process to exit")
