"""Monitoring: heartbeats, get_status() and `manage.py issuance_status [--json]`."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

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

    def held_issue(batch, inspection, *, certificate_key, received=None):
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


def test_status_counts_retries_give_ups_and_the_oldest_due_job(settings):
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
    assert status["oldest_due"]["batch"] == "S-2" and status["oldest_due"]["age_seconds"] >= 0
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


# -- issuance_status --check: for cron or an exec probe ------------------------------------------


def beat(worker_id: str = "host-a:1:abc", seen_ago: timedelta = timedelta(seconds=1)) -> None:
    WorkerHeartbeat(
        worker_id=worker_id,
        host="host-a",
        pid=1,
        started_at=utcnow() - timedelta(hours=1),
        last_seen_at=utcnow() - seen_ago,
        concurrency=2,
    ).save()


def check(*args: str) -> str:
    """The check's verdict: its OK line, or the problems it exits 1 with."""
    try:
        return status_output("--check", *args)
    except CommandError as exc:
        return f"FAILED {exc}"


def test_the_check_passes_with_a_live_worker_and_nothing_waiting(batch):
    beat()

    assert check() == "OK: issuance is healthy\n"


def test_the_check_fails_without_a_live_worker():
    beat(seen_ago=timedelta(minutes=10))  # stale

    verdict = check()

    assert verdict.startswith("FAILED") and "0 live worker(s), fewer than 1" in verdict
    assert check("--min-live-workers", "0").startswith("OK")


def test_the_check_fails_when_the_oldest_due_job_has_waited_too_long(batch):
    beat()
    inspection = make_inspection(batch)
    IssuanceJob.objects(inspection_id=inspection.pk).update(set__next_attempt_at=utcnow() - timedelta(minutes=20))

    verdict = check()

    assert "the oldest due job (batch RICE-2026-001, pending) has waited 1200 s, more than 600 s" in verdict
    assert check("--max-due-age", "3600").startswith("OK")
    assert check("--max-pending-age", "3600").startswith("OK")  # its former name still works


def test_the_check_fails_when_jobs_give_up_faster_than_allowed(settings):
    beat()
    settings.ISSUANCE_MAX_ATTEMPTS = 1
    for n in range(3):
        make_inspection(make_batch(f"FAIL-{n}"))
    Worker(issue=lambda *a, **k: (_ for _ in ()).throw(TransientIssuerError("down")), poll_interval_ms=20).run(
        once=True
    )
    beat()  # the run above left its own heartbeat stopped; this one is live

    verdict = check("--max-gave-up-per-hour", "2")

    assert "3 job(s) gave up in the last hour, more than 2" in verdict
    assert check("--max-gave-up-per-hour", "3").startswith("OK")


def test_the_check_exits_non_zero_for_a_probe():
    """A real process, as cron or Kubernetes run it: no worker in its (embedded) store."""
    from tests.commands import manage

    result = manage("issuance_status", "--check")

    assert result.returncode == 1
    assert "issuance is unhealthy" in result.stderr and "fewer than 1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option", ["--min-live-workers", "--max-due-age", "--max-gave-up-per-hour"])
@pytest.mark.parametrize("value", ["-5", "ten", "1.5"])
def test_a_threshold_that_is_not_a_count_is_refused_with_the_rule(option, value):
    from tests.commands import manage

    result = manage("issuance_status", "--check", option, value)

    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"argument {option}" in result.stderr
    assert f": must be a whole number from 0 to 1000000000 (got '{value}')" in result.stderr
