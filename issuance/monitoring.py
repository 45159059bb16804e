"""The state of the issuance queue and its workers, in one call (for the status command, admin and API)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.clock import utcnow
from issuance.models import IssuanceJob, JobStatus, WorkerHeartbeat

# Workers write their heartbeat at least every 15 s; a minute of silence means dead or cut off.
STALE_AFTER = timedelta(seconds=60)
LISTED = 20


def queue_status(now: datetime | None = None) -> dict:
    now = now or utcnow()
    # One count per status: each is a range of the claim index (status first) on MongoDB.
    counts = {status: IssuanceJob.objects(status=status).count() for status in JobStatus.CHOICES}
    retrying = IssuanceJob.objects(status=JobStatus.FAILED, next_attempt_at__ne=None).order_by("next_attempt_at")
    gave_up = IssuanceJob.objects(status=JobStatus.FAILED, next_attempt_at=None).order_by("-finished_at")
    oldest = IssuanceJob.objects(status=JobStatus.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at").first()
    return {
        "counts": counts,
        "will_retry": {"count": retrying.count(), "jobs": [_job_row(job) for job in retrying.limit(LISTED)]},
        "gave_up": {"count": gave_up.count(), "jobs": [_job_row(job) for job in gave_up.limit(LISTED)]},
        "oldest_pending_age_seconds": round((now - oldest.next_attempt_at).total_seconds(), 1) if oldest else None,
        "workers": [_worker_row(beat, now) for beat in WorkerHeartbeat.objects.order_by("-last_seen_at").limit(50)],
    }


def _job_row(job: IssuanceJob) -> dict:
    last = job.errors[-1] if job.errors else None
    return {
        "id": str(job.pk),
        "batch": job.batch_number,
        "attempts": job.attempt_count,
        "next_attempt_at": job.next_attempt_at.isoformat() if job.next_attempt_at else None,
        "last_error": f"{last.kind}: {last.message}" if last else "",
    }


def _worker_row(beat: WorkerHeartbeat, now: datetime) -> dict:
    if beat.stopped_at:
        state = "stopped"
    elif now - beat.last_seen_at > STALE_AFTER:
        state = "stale"
    else:
        state = "live"
    return {
        "id": beat.worker_id,
        "host": beat.host,
        "pid": beat.pid,
        "state": state,
        "started_at": beat.started_at.isoformat(),
        "last_seen_at": beat.last_seen_at.isoformat(),
        "concurrency": beat.concurrency,
        "active_jobs": len(beat.active_jobs),
        "processed": beat.processed,
        "failed": beat.failed,
    }
