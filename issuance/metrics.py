"""Prometheus metrics for issuance: the queue as the database sees it (served by the web app at
/metrics, read at each scrape) and what one worker process did (served by the worker itself,
`run_issuance_worker --metrics-port`).

Names follow Prometheus conventions: an `agriqcert_` prefix, base units (seconds), `_total` for
counters; labels have a small fixed set of values (statuses, outcomes, issuer steps).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.clock import utcnow
from issuance.models import IssuanceJob, JobStatus
from issuance.monitoring import live_worker_count, oldest_due_job, orphan_counts, waited_seconds

# -- one worker process -----------------------------------------------------------------------

WORKER_REGISTRY = CollectorRegistry()
JOBS = Counter(
    "agriqcert_worker_jobs",
    "Jobs this worker process finished, by outcome (success, retry, gave_up, lease_lost).",
    ["outcome"],
    registry=WORKER_REGISTRY,
)
JOB_SECONDS = Histogram(
    "agriqcert_worker_job_duration_seconds",
    "From claim to outcome, per job.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=WORKER_REGISTRY,
)
ISSUER_SECONDS = Histogram(
    "agriqcert_worker_issuer_request_duration_seconds",
    "Each request to the issuer, by step (Inji Certify: push, offer, token, credential, status; mock: issue).",
    ["step"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=WORKER_REGISTRY,
)
LEASES_LOST = Counter(
    "agriqcert_worker_lease_losses", "Jobs whose lease another worker took over.", registry=WORKER_REGISTRY
)
RECOVERIES = Counter(
    "agriqcert_worker_lease_recoveries",
    "Jobs of dead workers this worker put back in the queue (or gave up, attempts used).",
    registry=WORKER_REGISTRY,
)
ACTIVE = Gauge("agriqcert_worker_active_jobs", "Jobs this worker process is running now.", registry=WORKER_REGISTRY)
CONCURRENCY = Gauge(
    "agriqcert_worker_concurrency", "Jobs this worker process may run at once.", registry=WORKER_REGISTRY
)


def serve_worker_metrics(port: int, address: str) -> int:
    """Serve this process's worker metrics over HTTP; returns the port (0 picks a free one)."""
    server, _thread = start_http_server(port, addr=address, registry=WORKER_REGISTRY)
    return server.server_port


# -- the queue, for the web app -----------------------------------------------------------------


class QueueCollector(Collector):
    """Reads the queue at each scrape: a handful of counts, each an index range on MongoDB."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        jobs = GaugeMetricFamily(
            "agriqcert_issuance_jobs", "Issuance jobs in the database, by status.", labels=["status"]
        )
        for status in JobStatus:
            jobs.add_metric([status.value], IssuanceJob.objects(status=status).count())
        yield jobs
        yield GaugeMetricFamily(
            "agriqcert_issuance_jobs_will_retry",
            "Jobs that failed and wait for another attempt.",
            value=IssuanceJob.objects.will_retry().count(),
        )
        yield GaugeMetricFamily(
            "agriqcert_issuance_jobs_gave_up",
            "Jobs that used up their attempts (or failed for good), kept until they expire.",
            value=IssuanceJob.objects.gave_up().count(),
        )
        oldest = oldest_due_job(now)
        waited = waited_seconds(oldest, now) if oldest else 0.0
        yield GaugeMetricFamily(
            "agriqcert_issuance_oldest_due_job_age_seconds",
            "How long the job the next claim would take (pending, or failed with a retry) has been due; "
            "0 when none is due.",
            value=waited,
        )
        # Its former name, so rules written against it keep firing; it measured pending jobs only.
        yield GaugeMetricFamily(
            "agriqcert_issuance_oldest_pending_age_seconds",
            "Deprecated: the same value as agriqcert_issuance_oldest_due_job_age_seconds.",
            value=waited,
        )
        yield GaugeMetricFamily(
            "agriqcert_issuance_workers_live",
            "Worker processes whose heartbeat is recent.",
            value=live_worker_count(now),
        )
        orphans = GaugeMetricFamily(
            "agriqcert_inji_orphan_credentials",
            "Credentials Inji Certify issued that no certificate carries, by state: revoked (at Certify), "
            "pending (Certify has not taken the revocation yet; retried), unrevocable (no status entry: "
            "revoke by hand), in_use (a certificate carries it after all).",
            labels=["state"],
        )
        for state, count in orphan_counts().items():
            orphans.add_metric([state], count)
        yield orphans


def queue_registry() -> CollectorRegistry:
    """The queue, and this web process's own CPU, memory and file descriptors."""
    registry = CollectorRegistry()
    registry.register(QueueCollector())
    ProcessCollector(registry=registry)
    return registry
