""" "Due" has one meaning: the jobs the claim takes are the jobs issuance_status, /metrics and the
stalled-issuance alert watch — pending ones, and failed ones whose retry time has come."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from core.clock import utcnow
from issuance import queue
from issuance.models import IssuanceJob, JobStatus, WorkerHeartbeat
from tests.factories import make_batch, make_inspection
from tests.test_deploy_files import DEPLOY
from tests.test_operations import PROMTOOL, samples

pytestmark = pytest.mark.django_db

STALLED = "AgriQCertIssuanceStalled"


def job_of(batch_number: str) -> IssuanceJob:
    return IssuanceJob.objects.get(batch_number=batch_number)


def a_failed_job_to_retry_at(retry_at: datetime, batch_number: str) -> IssuanceJob:
    """A job that failed transiently, to be retried at `retry_at` (in the past: nobody claimed it).
    Call it while no other job is due: it claims the job it makes."""
    make_inspection(make_batch(batch_number))
    job = queue.claim("w", 30)
    failure = queue.fail(job, kind="transient", message="503 from Inji", worker_id="w", permanent=False)
    assert job.batch_number == batch_number and failure.will_retry_at is not None
    IssuanceJob.objects(pk=job.pk).update_one(set__next_attempt_at=retry_at)
    return job_of(batch_number)


def live_worker() -> None:
    now = utcnow()
    WorkerHeartbeat(
        worker_id="host-a:1:abc", host="host-a", pid=1, started_at=now, last_seen_at=now, concurrency=2
    ).save()


def test_a_failed_job_past_its_retry_time_is_the_oldest_due_job_everywhere(client, tmp_path):
    stuck = a_failed_job_to_retry_at(utcnow() - timedelta(minutes=20), "RICE-2026-001")
    make_inspection(make_batch("RICE-2026-002"))  # pending, due just now
    live_worker()  # the check's other rule passes: only the waiting job is wrong

    out = StringIO()
    call_command("issuance_status", "--json", stdout=out)
    oldest = json.loads(out.getvalue())["oldest_due"]
    with pytest.raises(CommandError) as check:
        call_command("issuance_status", "--check", stdout=StringIO())
    scraped = samples(client.get("/metrics").content.decode())[("agriqcert_issuance_oldest_due_job_age_seconds", ())]

    assert stuck.status == JobStatus.FAILED
    assert oldest["id"] == str(stuck.pk) and oldest["status"] == "failed" and 1199 < oldest["age_seconds"] < 1260
    assert "the oldest due job (batch RICE-2026-001, failed) has waited 12" in str(check.value)
    assert 1199 < scraped < 1260
    assert_the_alert_fires_on(int(scraped), tmp_path)


def assert_the_alert_fires_on(age: int, tmp_path) -> None:
    """promtool evaluates alerts.yml on the scraped age, growing as the job keeps waiting: the
    alert waits out its `for` and then fires."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"][0]["rules"]
    rule = next(rule for rule in rules if rule["alert"] == STALLED)
    at_six_minutes = age + 6 * 60
    annotations = {
        **rule["annotations"],
        "description": rule["annotations"]["description"].replace(
            "{{ $value | humanizeDuration }}", f"{at_six_minutes // 60}m {at_six_minutes % 60}s"
        ),
    }
    test = {
        "rule_files": [str(DEPLOY / "prometheus" / "alerts.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'agriqcert_issuance_oldest_due_job_age_seconds{job="agriqcert-web"}',
                        "values": f"{age}+60x10",
                    }
                ],
                "alert_rule_test": [
                    {"eval_time": "4m", "alertname": STALLED, "exp_alerts": []},
                    {
                        "eval_time": "6m",
                        "alertname": STALLED,
                        "exp_alerts": [{"exp_labels": rule["labels"], "exp_annotations": annotations}],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "stalled_test.yml"
    path.write_text(yaml.safe_dump(test, allow_unicode=True))

    result = subprocess.run([PROMTOOL, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_the_claim_takes_exactly_the_jobs_due_lists_in_its_order():
    now = utcnow()
    make_inspection(make_batch("GAVE-UP"))
    queue.fail(queue.claim("w", 30), kind="permanent", message="400 invalid_request", worker_id="w", permanent=True)
    make_inspection(make_batch("RUNNING"))
    running = queue.claim("w", 30)
    a_failed_job_to_retry_at(now + timedelta(hours=1), "RETRY-LATER")
    a_failed_job_to_retry_at(now - timedelta(minutes=8, seconds=30), "RETRY-PAST")
    for number, minutes_ago in enumerate((10, 9, 8, -60)):
        make_inspection(make_batch(f"PENDING-{number}"))
        IssuanceJob.objects(batch_number=f"PENDING-{number}").update_one(
            set__next_attempt_at=now - timedelta(minutes=minutes_ago)
        )

    due = [job.batch_number for job in IssuanceJob.objects.due(utcnow())]
    claimed = []
    while (job := queue.claim("w", 30)) is not None:
        claimed.append(job.batch_number)

    assert due == ["PENDING-0", "PENDING-1", "RETRY-PAST", "PENDING-2"]
    assert claimed == due
    assert running.batch_number == "RUNNING" and job_of("GAVE-UP").gave_up
    assert job_of("RETRY-LATER").will_retry and job_of("PENDING-3").status == JobStatus.PENDING
