"""What an operator's tools ask of AgriQCert: probes, Prometheus scrapes, JSON logs.

Metrics are parsed as Prometheus parses them (prometheus_client's parser) and, where promtool is
installed (scripts/test extracts it from Debian's prometheus package), linted by it too.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pymongo.errors import AutoReconnect

from core import embedded
from core.clock import utcnow
from core.logs import JsonFormatter
from issuance import metrics, queue
from issuance.metrics import serve_worker_metrics
from issuance.models import IssuanceJob
from issuance.worker import Worker
from tests.commands import ROOT
from tests.factories import make_batch, make_inspection

pytestmark = pytest.mark.django_db

PROMTOOL = shutil.which("promtool") or str(ROOT / ".cache" / "promtool" / "usr" / "bin" / "promtool")


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample, keyed by name and labels, as Prometheus reads the exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def lint(text: str) -> None:
    if Path(PROMTOOL).is_file():
        result = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def database_down():
    """Every call into the store fails as a refused connection would (with a URI in the message);
    undone before the store is closed at the test's end."""

    def refused(self, name):
        raise AutoReconnect("mongodb://agriqcert:s3cret-password@db.internal:27017 connection refused")

    original = embedded._Locked.__getattr__
    embedded._Locked.__getattr__ = refused
    yield
    embedded._Locked.__getattr__ = original


# -- probes ----------------------------------------------------------------------------------


def test_healthz_answers_without_the_database_and_for_any_host(client, database_down, settings):
    settings.ALLOWED_HOSTS = ["agriqcert.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")  # a kubelet probes the pod's address

    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_ready_when_every_check_passes(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"mongodb": "ok", "indexes": "ok", "accounts_database": "ok", "issuer": "ok"},
    }


def test_readyz_names_the_failing_check_and_no_secret(client, database_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["mongodb"] == "failed (AutoReconnect)"
    assert body["checks"]["accounts_database"] == "ok"
    assert "s3cret" not in response.content.decode() and "db.internal" not in response.content.decode()


def test_readyz_names_a_missing_index_on_mongodb(client, monkeypatch, indexes_restored):
    """On MongoDB (the embedded store builds its own): an index ensure_indexes did not build."""
    from core import mongo

    monkeypatch.setattr(mongo, "is_embedded", lambda: False)
    IssuanceJob._get_collection().drop_index("claim")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["indexes"] == (
        "missing or different: issuance_jobs.claim: missing (run ensure_indexes)"
    )


def test_readyz_says_when_inji_is_chosen_but_not_configured(client, settings):
    settings.INJI_MOCK_MODE, settings.INJI_API_URL = False, ""

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["issuer"] == "INJI_API_URL is not set (INJI_MOCK_MODE is false)"


def test_probes_answer_get_only(client):
    response = client.post("/readyz")

    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


# -- /metrics on the web app -------------------------------------------------------------------


def test_metrics_tell_the_queue_as_prometheus_reads_it(client, batch):
    make_inspection(batch)  # one pending job
    waiting = make_inspection(make_batch("RICE-2026-002"))
    IssuanceJob.objects(inspection_id=waiting.pk).update(set__next_attempt_at=utcnow() - timedelta(minutes=5))

    response = client.get("/metrics")  # the test client comes from 127.0.0.1

    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    found = samples(text)
    assert found[("agriqcert_issuance_jobs", (("status", "pending"),))] == 2
    assert found[("agriqcert_issuance_jobs", (("status", "success"),))] == 0
    assert found[("agriqcert_issuance_jobs_will_retry", ())] == 0
    assert found[("agriqcert_issuance_jobs_gave_up", ())] == 0
    assert 299 < found[("agriqcert_issuance_oldest_due_job_age_seconds", ())] < 400
    assert (
        found[("agriqcert_issuance_oldest_pending_age_seconds", ())]
        == found[("agriqcert_issuance_oldest_due_job_age_seconds", ())]
    )  # the former name, kept for rules written against it
    assert found[("agriqcert_issuance_workers_live", ())] == 0
    assert ("process_resident_memory_bytes", ()) in found
    lint(text)


def test_metrics_are_refused_to_strangers(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"

    stranger = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer guess")
    scraper = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")

    assert stranger.status_code == 403 and "METRICS_TOKEN" in stranger.content.decode()
    assert wrong.status_code == 403
    assert scraper.status_code == 200 and "agriqcert_issuance_jobs" in scraper.content.decode()


def test_metrics_follow_the_allowed_networks(client, settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]

    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


# -- a worker's own metrics ------------------------------------------------------------------


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def worker_sample(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db(transaction=True)
def test_a_worker_serves_what_it_did(batch):
    port = serve_worker_metrics(0, "127.0.0.1")
    before = scrape(port)
    make_inspection(batch)
    make_inspection(make_batch("RICE-2026-002"))
    gone = make_inspection(make_batch("RICE-2026-003"))
    gone.delete()  # its job gives up: the inspection no longer exists

    Worker(poll_interval_ms=20, concurrency=2).run(once=True)

    after = scrape(port)
    grew = {
        outcome: worker_sample(after, "agriqcert_worker_jobs_total", outcome=outcome)
        - worker_sample(before, "agriqcert_worker_jobs_total", outcome=outcome)
        for outcome in ("success", "gave_up")
    }
    assert grew == {"success": 2, "gave_up": 1}
    assert (
        worker_sample(after, "agriqcert_worker_job_duration_seconds_count")
        - worker_sample(before, "agriqcert_worker_job_duration_seconds_count")
        == 3
    )
    assert worker_sample(after, "agriqcert_worker_issuer_request_duration_seconds_count", step="issue") >= 2
    assert worker_sample(after, "agriqcert_worker_active_jobs") == 0
    assert worker_sample(after, "agriqcert_worker_concurrency") == 2
    lint(after)


@pytest.mark.django_db(transaction=True)
def test_lease_recoveries_are_counted(batch):
    make_inspection(batch)
    queue.claim("a-worker-that-died", lease_seconds=1)
    before = metrics.RECOVERIES._value.get()
    worker = Worker(poll_interval_ms=20)

    with_time_passed = utcnow() + timedelta(seconds=5)
    IssuanceJob.objects.update(set__lease_expires_at=with_time_passed - timedelta(seconds=10))
    worker.maintain()

    assert metrics.RECOVERIES._value.get() - before == 1


def test_the_worker_command_serves_metrics_on_its_port(tmp_path):
    """The real command in a real process: its metrics endpoint answers while it runs."""
    import socket

    from tests.waiting import Lines

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [".venv/bin/python", "manage.py", "run_issuance_worker", "--metrics-port", str(port)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        Lines(process.stderr).wait_for(f"Metrics at http://127.0.0.1:{port}/metrics", timeout=30)
        text = scrape(port)
    finally:
        process.terminate()
        process.wait(30)
    assert "# TYPE agriqcert_worker_jobs_total counter" in text
    assert worker_sample(text, "agriqcert_worker_concurrency") == 2  # WORKER_CONCURRENCY's default


@pytest.mark.parametrize(
    "flags, complaint",
    [
        (["--metrics-port", "70000"], "argument --metrics-port: must be a whole number from 0 to 65535"),
        (["--metrics-port", "0", "--processes", "2"], "--processes needs"),  # embedded or port 0: refused
        (["--metrics-port", "{busy}"], "cannot serve metrics on 127.0.0.1:{busy}"),
    ],
)
def test_a_metrics_port_that_cannot_be_used_is_refused_with_a_reason(flags, complaint):
    import socket

    from tests.commands import manage

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = manage("run_issuance_worker", "--once", *(flag.format(busy=port) for flag in flags))

    assert result.returncode != 0 and complaint.format(busy=port) in result.stderr
    assert "Traceback" not in result.stderr


# -- JSON logs -------------------------------------------------------------------------------


def test_json_logs_carry_the_same_fields_one_object_per_line():
    record = logging.LogRecord(
        "issuance.worker",
        logging.INFO,
        __file__,
        1,
        "job=%s batch=%s attempt=%s outcome=%s duration_ms=%d worker=%s detail=%r",
        ("6b0a", "DEMO-RICE-001", 2, "retry", 112, "host:42:9f3c01", "Inji said: x=1 'quoted'\nsecond line"),
        None,
    )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "issuance.worker"
    assert {key: entry[key] for key in ("job", "batch", "attempt", "outcome", "duration_ms", "worker", "detail")} == {
        "job": "6b0a",
        "batch": "DEMO-RICE-001",
        "attempt": 2,
        "outcome": "retry",
        "duration_ms": 112,
        "worker": "host:42:9f3c01",
        "detail": "Inji said: x=1 'quoted'\nsecond line",
    }


def test_the_worker_logs_json_lines_when_asked(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    result = subprocess.run(
        [".venv/bin/python", "manage.py", "run_issuance_worker", "--once"],
        cwd=ROOT,
        env={**env, "LOG_FORMAT": "json", "DEMO_DATA": "false"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    entries = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert result.returncode == 0, result.stderr
    assert {entry.get("outcome") for entry in entries} >= {"started", "stopped"}
    assert all(entry["worker"].count(":") == 2 for entry in entries if "worker" in entry)
