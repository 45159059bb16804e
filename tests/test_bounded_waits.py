"""Every wait on MongoDB is bounded: the client finds a primary and gets each answer within known
times unless the operator's URI says otherwise, and a timeout is an outage the worker waits out."""

from __future__ import annotations

import logging
import threading

import mongoengine
import pytest
from pymongo.errors import ExecutionTimeout, NetworkTimeout, ServerSelectionTimeoutError, WTimeoutError

from core import mongo
from issuance import queue
from issuance.models import IssuanceJob, JobStatus
from issuance.worker import Worker
from tests.factories import make_inspection
from tests.waiting import wait_until


def test_the_client_gets_bounded_waits_and_majority_writes_by_default():
    options = mongo.client_options("mongodb://db-1,db-2/agriqcert?replicaSet=rs0")

    assert options["serverSelectionTimeoutMS"] == 5_000 and options["timeoutMS"] == 10_000
    assert options["w"] == "majority" and options["readPreference"] == "primary" and options["retryWrites"] is True


def test_the_operators_own_bounds_in_the_uri_win_in_any_case():
    options = mongo.client_options("mongodb://db-1/agriqcert?TIMEOUTMS=2500&serverselectiontimeoutms=800")

    assert "timeoutMS" not in options and "serverSelectionTimeoutMS" not in options


@pytest.mark.parametrize("legacy", ["socketTimeoutMS=20000", "wtimeoutMS=5000"])
def test_an_operator_who_chose_legacy_timeouts_gets_no_operation_timeout_on_top(legacy):
    options = mongo.client_options(f"mongodb://db-1/agriqcert?{legacy}")

    assert "timeoutMS" not in options and options["serverSelectionTimeoutMS"] == 5_000


def test_the_connection_mongoengine_makes_carries_the_bounds():
    mongo.connect("mongodb://127.0.0.1:9/agriqcert?serverSelectionTimeoutMS=700")  # never contacted here
    try:
        client = mongoengine.get_connection()
        assert client.options.timeout == 10.0 and client.options.server_selection_timeout == 0.7
        assert client.write_concern.document == {"w": "majority"}
    finally:
        mongoengine.disconnect()


@pytest.mark.parametrize(
    "timeout",
    [
        ServerSelectionTimeoutError("no primary within 5000 ms"),
        NetworkTimeout("db-1:27017: timed out"),
        ExecutionTimeout("operation exceeded time limit", 50),
        WTimeoutError("waiting for replication timed out", 64),
    ],
    ids=lambda exc: exc.__class__.__name__,
)
@pytest.mark.django_db(transaction=True)
def test_the_worker_backs_off_on_a_timed_out_claim_and_resumes(batch, monkeypatch, caplog, timeout):
    """A claim that timed out may have been applied: the worker does not repeat it; it waits, claims
    anew, and the lease brings back a job it may have taken."""
    monkeypatch.setattr(logging.getLogger("issuance"), "handlers", [caplog.handler])  # it does not propagate
    make_inspection(batch)
    outage, refused, real_claim = threading.Event(), [], queue.claim
    outage.set()

    def claim(*args, **kwargs):
        if outage.is_set():
            refused.append(timeout)
            raise timeout
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(queue, "claim", claim)
    monkeypatch.setattr("issuance.worker.OUTAGE_BACKOFF_MIN_SECONDS", 0.01)
    monkeypatch.setattr("issuance.worker.OUTAGE_BACKOFF_MAX_SECONDS", 0.05)
    worker = Worker(poll_interval_ms=20, lease_seconds=10)
    thread = worker.start_in_background()
    try:
        wait_until(lambda: len(refused) >= 3, timeout=30, what="claims timing out")
        assert thread.is_alive()
        outage.clear()
        wait_until(
            lambda: IssuanceJob.objects.get().status == JobStatus.SUCCESS, timeout=30, what="the job after the outage"
        )
    finally:
        worker.stop()
        thread.join(10)
    assert f"outcome=database_unavailable retry_in_s=0.0 error={timeout.__class__.__name__}" in caplog.text
    assert "outcome=database_back" in caplog.text
