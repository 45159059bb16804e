"""Monitoring: heartbeats, get_status() and `manage.py issuance_status [--json]`."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from core.clock import utcnow
from issuance import queue
from issuance.inji import TransientIssuerError
from issuance.inji.mock import issue as mock_issue
from issuance.models import IssuanceJob, JobStatus, WorkerHeartbeat
from issuance.worker import Worker, get_status
from tests.factories import make_batch, make_inspection
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def status_output(*args: str) -> str:
    out = StringIO()
    call_command("issuance_status", *args, stdout=out)
    return out.getvalue()


def test_get_status_describes_the_worker_running_in_this_process(batch):
    make_inspection(batch)
    release = threading.Event()

    def held_issue(batch, inspection, *, certificate_key):
        release.wait(5)
        return mock_issue(batch, inspection, certificate_key=certificate_key)

    worker = Worker(issue=held_issue, concurrency=3, poll_interval_ms=20)
    thread = worker.start_in_background()
    try:
        wait_until(lambda: get_status() and get_status()[0]["active_jobs"], what="the worker to start the job")
        (status,) = get_status()
        assert status["id"] == worker.id and status["concurrency"] == 3
        assert status["active_jobs"] == [str(IssuanceJob.objects.get().pk)]
    finally:
        release.set()
        worker.stop()
        thread.join(5)
    assert get_status() == []
    beat = WorkerHeartbeat.objects.get(worker_id=worker.id)
    assert beat.stopped_at is not None and beat.processed == 1


def test_status_counts_retries_give_ups_and_the_oldest_pending_job(settings):
    for n in range(4):
        make_inspection(make_batch(f"S-{n}"))
    IssuanceJob.objects(batch_number="S-0").update_one(set__next_attempt_at=utcnow() - timedelta(minutes=5))
    retrying, gave_up = queue.claim("w", 30), queue.claim("w", 30)
    queue.fail(retrying, kind="transient", message="503 from Inji", worker_id="w", permanent=False)
    queue.fail(gave_up, kind="permanent", message="400 invalid_request", worker_id="w", permanent=True)

    status = json.loads(status_output("--json"))

    assert status["counts"] == {"pending": 2, "processing": 0, "success": 0, "failed": 2}
    assert status["will_retry"]["count"] == 1 and status["will_retry"]["jobs"][0]["next_attempt_at"]
    assert status["gave_up"]["count"] == 1 and "400 invalid_request" in status["gave_up"]["jobs"][0]["last_error"]
    assert status["oldest_pending_age_seconds"] >= 0
    text = status_output()
    assert "Will retry: 1" in text and "Gave up: 1" in text and "503 from Inji" in text


def test_workers_that_stopped_beating_are_marked_stale(batch):
    Worker(issue=mock_issue, poll_interval_ms=20).run(once=True)  # leaves a stopped heartbeat
    WorkerHeartbeat(
        worker_id="host-b:42:abc",
        host="host-b",
        pid=42,
        started_at=utcnow() - timedelta(hours=1),
        last_seen_at=utcnow() - timedelta(minutes=5),
        concurrency=2,
    ).save()

    states = {w["id"]: w["state"] for w in json.loads(status_output("--json"))["workers"]}

    assert states["host-b:42:abc"] == "stale"
    assert "stopped" in states.values()
    assert "stale   host-b:42:abc" in status_output()


def test_a_transient_failure_shows_when_it_will_be_retried(batch):
    make_inspection(batch)

    def unavailable(*args, **kwargs):
        raise TransientIssuerError("Inji Certify is unavailable (503)")

    Worker(issue=unavailable, poll_interval_ms=20).run(once=True)

    job = IssuanceJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert json.loads(status_output("--json"))["will_retry"]["jobs"][0]["id"] == str(job.pk)


def test_in_the_embedded_mode_the_command_says_where_the_apps_data_lives():
    from io import StringIO

    from django.core.management import call_command

    errors = StringIO()
    call_command("issuance_status", stdout=StringIO(), stderr=errors)

    assert "embedded mode" in errors.getvalue() and "/admin/" in errors.getvalue()
