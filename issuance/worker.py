"""The issuance worker: claims due jobs while it has free slots, runs each in a thread, keeps
their leases alive, recovers jobs of dead workers and shuts down gracefully.

Several workers on several machines may run at once: claims are atomic in MongoDB, and every
write that finishes a job is fenced by the job's lock token. Worker hosts need synchronised
clocks (NTP); leases (WORKER_LEASE_SECONDS, 120 s by default) are far longer than any plausible skew.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from queue import SimpleQueue

from bson import ObjectId
from django.conf import settings
from django.db import close_old_connections, connections
from pymongo.errors import PyMongoError

from core import mongo
from core.clock import utcnow
from issuance import metrics, orphans, queue
from issuance.inji import issue_credential
from issuance.models import HEARTBEAT_EVERY_AT_MOST, IssuanceJob, JobStatus, WorkerHeartbeat
from issuance.processing import JobOutcome, JobResult, process, recover_expired_leases, retry_later
from notifications.delivery import purge_expired as purge_expired_notifications

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 600
ORPHAN_SWEEP_EVERY_SECONDS = 60
OUTAGE_BACKOFF_MIN_SECONDS, OUTAGE_BACKOFF_MAX_SECONDS = 0.5, 30.0
HEARTBEAT_RETENTION = timedelta(days=7)

_running: list[Worker] = []
_running_lock = threading.Lock()


class JobThreads:
    """C long-lived threads that run the jobs handed to them: a thread per job cost its start and a
    new database connection each time. Daemon threads, like the ones they replace: a job stuck in
    a call past the grace period must not keep the process from exiting (its lease brings it back)."""

    def __init__(self, size: int, name: str, run: Callable[[ActiveJob], None]) -> None:
        self._queue: SimpleQueue[ActiveJob | None] = SimpleQueue()
        self._run = run
        self._threads = [threading.Thread(target=self._serve, name=f"{name}-job-{n}", daemon=True) for n in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, item: ActiveJob) -> None:
        self._queue.put(item)

    def close(self) -> None:
        """Each idle thread ends; a busy one ends after its job."""
        for _ in self._threads:
            self._queue.put(None)

    def _serve(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                try:
                    self._run(item)
                except BaseException:  # noqa: BLE001 - what killed one job must not shrink the pool
                    log.exception("job=%s outcome=thread_error", item.job.pk)
                # As after a web request: a connection past CONN_MAX_AGE (by default, any) is closed,
                # so C idle threads do not hold C connections to PostgreSQL.
                close_old_connections()
        finally:
            connections.close_all()  # this thread's Django connections, if a job opened one


@dataclass
class ActiveJob:
    job: IssuanceJob
    started: float
    lease_lost: threading.Event = field(default_factory=threading.Event)


class Worker:
    def __init__(
        self,
        *,
        concurrency: int | None = None,
        poll_interval_ms: int | None = None,
        lease_seconds: int | None = None,
        grace_seconds: int | None = None,
        issue=issue_credential,
    ) -> None:
        self.concurrency = concurrency or settings.WORKER_CONCURRENCY
        self.poll_interval = (poll_interval_ms or settings.WORKER_POLL_INTERVAL_MS) / 1000
        self.lease_seconds = lease_seconds or settings.WORKER_LEASE_SECONDS
        self.grace_seconds = settings.WORKER_SHUTDOWN_GRACE_SECONDS if grace_seconds is None else grace_seconds
        self.issue = issue
        self.host = socket.gethostname()
        self.pid = os.getpid()
        # A fresh id per start: a restarted worker must not renew or finish its predecessor's jobs.
        self.id = f"{self.host}:{self.pid}:{secrets.token_hex(3)}"
        self.started_at = utcnow()
        self.stats: Counter[str] = Counter()
        self.polls = 0
        self._active: dict[ObjectId, ActiveJob] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._last_purge = 0.0
        self._threads: JobThreads | None = None
        metrics.CONCURRENCY.set(self.concurrency)

    # -- lifecycle ----------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> dict:
        """Process jobs until stop() (or, with once, until nothing is due); returns a summary."""
        queue.on_enqueue(self.wake)
        with _running_lock:
            _running.append(self)
        try:
            self.beat()
        except PyMongoError as exc:  # an outage at start: the maintenance thread beats once it is over
            log.warning("worker=%s outcome=heartbeat_failed error=%s", self.id, _describe(exc))
        maintenance = threading.Thread(target=self._maintain_forever, name=f"{self.id}-maintenance", daemon=True)
        maintenance.start()
        # Apart from maintenance: a revocation waits on Inji Certify, and lease renewals must not.
        threading.Thread(target=self._sweep_orphans_forever, name=f"{self.id}-orphans", daemon=True).start()
        self._threads = JobThreads(self.concurrency, self.id, self._run_job)
        log.info(
            "worker=%s outcome=started concurrency=%s poll_ms=%d", self.id, self.concurrency, self.poll_interval * 1000
        )
        try:
            self._loop(once)
        finally:
            self._shut_down()
            self._threads.close()
            queue.remove_listener(self.wake)
            with _running_lock:
                _running.remove(self)
        return self.summary()

    def start_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name=f"{self.id}-loop", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wake(self) -> None:
        self._wake.set()

    # -- the loop -----------------------------------------------------------------------------

    def _loop(self, once: bool) -> None:
        outage = 0.0  # seconds to wait before the next try while the database is unreachable
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                claimed = self.fill_slots()
            except PyMongoError as exc:
                # An election or an outage longer than pymongo's own retries: wait, back off, retry.
                outage = min(OUTAGE_BACKOFF_MAX_SECONDS, max(OUTAGE_BACKOFF_MIN_SECONDS, outage * 2))
                log.warning(
                    "worker=%s outcome=database_unavailable retry_in_s=%.1f error=%s",
                    self.id,
                    outage,
                    _describe(exc),
                )
                self._stopping.wait(outage)
                continue
            if outage:
                log.info("worker=%s outcome=database_back", self.id)
                outage = 0.0
            if once and not claimed and not self.active_count():
                return
            # Slots full or nothing due: sleep until a job finishes (a slot frees), a job is enqueued
            # in this process, or the poll interval passes. A backlog is claimed without waiting.
            self._wake.wait(self.poll_interval)

    def fill_slots(self) -> int:
        """Claim jobs while a slot is free; never claims more than it can run now."""
        claimed = 0
        while not self._stopping.is_set() and self.active_count() < self.concurrency:
            self.polls += 1
            job = queue.claim(self.id, self.lease_seconds)
            if job is None:
                break
            claimed += 1
            self._start(job)
        return claimed

    def active_count(self) -> int:
        with self._lock:
            return len(self._active)

    def _start(self, job: IssuanceJob) -> None:
        active = ActiveJob(job, time.monotonic())
        with self._lock:
            self._active[job.pk] = active
        metrics.ACTIVE.inc()
        self._threads.submit(active)

    def _run_job(self, active: ActiveJob) -> None:
        job = active.job
        try:
            result = process(job, self.id, self.issue, self.lease_seconds)
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the job: record it and retry later
            log.exception("job=%s batch=%s outcome=error", job.pk, job.batch_number)
            result = self._record_unexpected(job, exc)
        finally:
            with self._lock:
                self._active.pop(job.pk, None)
            metrics.ACTIVE.dec()
            self._wake.set()
        self._count(result)
        metrics.JOBS.labels(result.outcome).inc()
        metrics.JOB_SECONDS.observe(time.monotonic() - active.started)
        log.info(
            "job=%s batch=%s attempt=%s outcome=%s duration_ms=%d worker=%s%s",
            job.pk,
            job.batch_number,
            job.attempt_count,
            result.outcome,
            (time.monotonic() - active.started) * 1000,
            self.id,
            f" detail={result.detail!r}" if result.outcome != JobOutcome.SUCCESS else f" certificate={result.detail}",
        )

    def _record_unexpected(self, job: IssuanceJob, exc: Exception) -> JobResult:
        try:
            return retry_later(job, self.id, f"unexpected error: {exc.__class__.__name__}: {exc}", None)
        except Exception:  # noqa: BLE001 - the database is gone too; the lease will recover the job
            return JobResult(JobOutcome.LEASE_LOST, "could not record the error; the lease will expire")

    def _count(self, result: JobResult) -> None:
        with self._lock:
            self.stats["processed"] += 1
            self.stats[result.outcome] += 1
            if result.outcome in (JobOutcome.RETRY, JobOutcome.GAVE_UP):
                self.stats["failed"] += 1

    # -- leases, heartbeat, recovery ------------------------------------------------------------

    def maintenance_interval(self) -> float:
        return max(0.2, min(self.lease_seconds / 4, HEARTBEAT_EVERY_AT_MOST.total_seconds()))

    def _maintain_forever(self) -> None:
        while not self._stopped.wait(self.maintenance_interval()):
            try:
                self.maintain()
            except PyMongoError as exc:  # keep trying: leases and heartbeats resume with the database
                log.warning("worker=%s outcome=maintenance_failed error=%s", self.id, _describe(exc))
            except Exception:  # noqa: BLE001 - a bug must not stop renewals for good either
                log.exception("worker=%s outcome=maintenance_failed", self.id)

    def _sweep_orphans_forever(self) -> None:
        while not self._stopped.wait(ORPHAN_SWEEP_EVERY_SECONDS):
            try:
                orphans.sweep()
            except PyMongoError as exc:
                log.warning("worker=%s outcome=orphan_sweep_failed error=%s", self.id, _describe(exc))
            except Exception:  # noqa: BLE001 - a bug must not stop the sweep for good
                log.exception("worker=%s outcome=orphan_sweep_failed", self.id)

    def maintain(self) -> None:
        self.renew_leases()
        self.beat()
        recovered = recover_expired_leases()
        if recovered:
            metrics.RECOVERIES.inc(recovered)
            self._wake.set()
        # On a server, MongoDB's TTL monitor deletes expired jobs and notifications by the server's clock;
        # a sweep here would use this host's, and one running fast frees dedupe keys early.
        if mongo.is_embedded() and time.monotonic() - self._last_purge > PURGE_EVERY_SECONDS:
            self._last_purge = time.monotonic()
            purged, notifications = queue.purge_expired(), purge_expired_notifications()
            if purged or notifications:
                log.info("worker=%s outcome=purged jobs=%d notifications=%d", self.id, purged, notifications)

    def renew_leases(self) -> None:
        with self._lock:
            active = list(self._active.values())
        for item in active:
            if item.lease_lost.is_set() or queue.renew_lease(item.job, self.lease_seconds):
                continue
            # The renewal also misses a job that finished a moment ago; only another owner means lost.
            current = IssuanceJob.objects(pk=item.job.pk).only("status", "lock_token").first()
            if current is not None and current.status in (JobStatus.PENDING, JobStatus.PROCESSING):
                item.lease_lost.set()
                metrics.LEASES_LOST.inc()
                log.warning("job=%s batch=%s outcome=lease_lost worker=%s", item.job.pk, item.job.batch_number, self.id)

    def beat(self, stopped: bool = False) -> None:
        now = utcnow()
        with self._lock:
            active = [str(job_id) for job_id in self._active]
            processed, failed = self.stats["processed"], self.stats["failed"]
        WorkerHeartbeat.objects(worker_id=self.id).update_one(
            upsert=True,
            set__host=self.host,
            set__pid=self.pid,
            set__started_at=self.started_at,
            set__last_seen_at=now,
            set__concurrency=self.concurrency,
            set__active_jobs=active,
            set__processed=processed,
            set__failed=failed,
            set__stopped_at=now if stopped else None,
            set__expires_at=now + HEARTBEAT_RETENTION,
        )

    # -- shutdown -------------------------------------------------------------------------------

    def _shut_down(self) -> None:
        deadline = time.monotonic() + self.grace_seconds
        while self.active_count() and time.monotonic() < deadline:
            self._wake.wait(min(0.05, max(0.0, deadline - time.monotonic())))
            self._wake.clear()
        with self._lock:
            unfinished = list(self._active.values())
        for item in unfinished:
            try:
                released = queue.release(item.job)
            except PyMongoError as exc:  # the lease will bring it back
                log.warning("job=%s outcome=release_failed error=%s", item.job.pk, _describe(exc))
                continue
            if released:
                self.stats["released"] += 1
                log.info("job=%s batch=%s outcome=released worker=%s", item.job.pk, item.job.batch_number, self.id)
        self._stopped.set()
        try:
            self.beat(stopped=True)
        except Exception:  # noqa: BLE001 - exiting anyway; the heartbeat simply goes stale
            log.warning("worker=%s outcome=final_heartbeat_failed", self.id)
        log.info("worker=%s outcome=stopped %s", self.id, " ".join(f"{k}={v}" for k, v in self.summary().items()))

    def summary(self) -> dict:
        keys = ("processed", "success", "retry", "gave_up", "lease_lost", "released")
        return {key: self.stats[key] for key in keys}

    def status(self) -> dict:
        with self._lock:
            active = [str(job_id) for job_id in self._active]
        return {
            "id": self.id,
            "host": self.host,
            "pid": self.pid,
            "started_at": self.started_at.isoformat(),
            "last_seen_at": utcnow().isoformat(),
            "concurrency": self.concurrency,
            "active_jobs": active,
            "processed": self.stats["processed"],
            "failed": self.stats["failed"],
            "stopping": self.stopping,
        }


def _describe(exc: PyMongoError) -> str:
    """The error's kind and first line: enough to act on, never the URI (which may hold a password)."""
    return f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def get_status() -> list[dict]:
    """The status of every worker running in this process (the embedded mode runs one)."""
    with _running_lock:
        return [worker.status() for worker in _running]
