"""A stranger's document is checked in worker processes with limits: a breach costs its own worker
(killed, replaced, OverBudget for its caller) and nobody else's time. Real processes throughout;
no timing is asserted, and waits are on events (a file appearing), never fixed sleeps."""

from __future__ import annotations

import os
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials import isolation
from credentials.isolation import IsolatedPool, Limits, OverBudget, proof_checker
from credentials.jsonld import ED25519_2020, CanonicalisationError
from credentials.keys import SigningKey
from credentials.proofs import ProofError, sign_ed25519_2020
from tests.engine import isolated_tasks
from tests.engine.conftest import PRODUCE_CONTEXT
from tests.waiting import wait_until

TIGHT = Limits(processes=2, cpu_seconds=1, memory_mb=256)


@pytest.fixture
def pool():
    pool = IsolatedPool(TIGHT)
    yield pool
    pool.close()


@pytest.fixture
def held(tmp_path):
    """A task that waits, spending nothing, until the test lets it go."""
    started, release = tmp_path / "started", tmp_path / "release"
    os.mkfifo(release)
    yield str(started), str(release)
    try:
        descriptor = os.open(release, os.O_WRONLY | os.O_NONBLOCK)  # a task still waits: end it
    except OSError:
        return  # nobody waits
    os.close(descriptor)


def let_go(release: str, answer: str = "released") -> None:
    with open(release, "w", encoding="utf-8") as fifo:
        fifo.write(answer)


def test_a_task_runs_in_another_process_and_its_answer_or_its_error_comes_back(pool):
    assert pool.run(os.getpid) != os.getpid()
    with pytest.raises(ValueError, match="as raised there"):
        pool.run(isolated_tasks.fail, "as raised there")


def test_a_task_that_spends_more_cpu_than_allowed_is_stopped_and_its_worker_replaced():
    # A wall deadline far off, so that the CPU limit is what stops it even on a loaded machine.
    pool = IsolatedPool(Limits(processes=1, cpu_seconds=1, memory_mb=256, wall_seconds=60))
    try:
        first = pool.run(os.getpid)
        with pytest.raises(OverBudget, match="more than 1 s of CPU time"):
            pool.run(isolated_tasks.burn, 600)

        assert pool.run(os.getpid) not in (first, os.getpid())  # a fresh worker serves the next one
    finally:
        pool.close()


def test_a_task_that_needs_more_memory_than_allowed_is_stopped(pool):
    with pytest.raises(OverBudget, match="more than 256 MB of memory"):
        pool.run(isolated_tasks.hog, 1024)

    assert pool.run(isolated_tasks.hog, 16) == 16 * 1024 * 1024


def test_a_task_past_its_deadline_is_stopped_even_when_it_spends_no_cpu(pool, held):
    with pytest.raises(OverBudget, match="longer than 3 s"):
        pool.run(isolated_tasks.hold, *held)

    assert pool.run(isolated_tasks.hog, 1) == 1024 * 1024


def test_while_one_task_is_held_another_is_served(pool, held):
    started, release = held
    answers: list = []
    holder = threading.Thread(target=lambda: answers.append(pool.run(isolated_tasks.hold, started, release)))
    holder.start()
    wait_until(lambda: os.path.exists(started), what="the held task to start")

    assert pool.run(os.getpid) != os.getpid()  # served by the other worker meanwhile

    let_go(release)
    holder.join(10)
    assert answers == ["released"]


def test_a_proof_is_checked_in_a_worker_with_the_contexts_bundled_here():
    """The engine's contexts are bundled in this process only (tests/engine/conftest.py): they go
    with each task, so the worker reads the credential as this process would."""
    key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2", ED25519_2020, PRODUCE_CONTEXT],
        "type": ["VerifiableCredential"],
        "issuer": key.did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"type": "ProduceQualityAttestation", "product": "Rice"},
    }
    signed = sign_ed25519_2020(credential, key, "2026-01-01T00:00:00Z")
    check = proof_checker(Limits(processes=1))

    assert check(signed, key.private_key.public_key()) == "Ed25519Signature2020"
    with pytest.raises(ProofError, match="does not match"):
        check({**signed, "validFrom": "2027-01-01T00:00:00Z"}, key.private_key.public_key())
    with pytest.raises(CanonicalisationError, match="not defined"):
        check({**signed, "forged": "claim"}, key.private_key.public_key())


def test_each_process_makes_its_own_pool_and_leaves_its_parents_alone(monkeypatch):
    """After gunicorn forks, a web process must not use (or stop) the workers of the process it was
    forked from: their pipes are the parent's."""
    mine = isolation.pool(Limits(processes=1))
    assert isolation.pool(Limits(processes=1)) is mine
    monkeypatch.setattr(isolation, "_pool_pid", -1)  # made by another process: as a forked child sees it

    child = isolation.pool(Limits(processes=1))

    assert child is not mine and not mine._closed
