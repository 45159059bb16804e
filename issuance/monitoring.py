"""The state of the issuance queue and its workers, in one call (for the status command, admin and API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import utcnow
from issuance.models import STALE_AFTER, IssuanceJob, JobStatus, OrphanCredential, OrphanState, WorkerHeartbeat

LISTED = 20


def oldest_due_job(now: datetime) -> IssuanceJob | None:
    """The job the next claim would take: pending or failed with a retry, due longest."""
    return IssuanceJob.objects.due(now).only("next_attempt_at", "batch_number", "status").first()


def waited_seconds(job: IssuanceJob, now: datetime) -> float:
    """How long a due job has waited past its due time."""
    return (now - job.next_attempt_at).total_seconds()


def live_worker_count(now: datetime) -> int:
    """Workers not stopped whose heartbeat is recent (the few beats of the last minute, by index)."""
    recent = WorkerHeartbeat.objects(last_seen_at__gte=now - STALE_AFTER).only("stopped_at", "last_seen_at")
    return sum(worker_state(beat, now) == "live" for beat in recent)


def orphan_counts() -> dict[str, int]:
    """Inji credentials no certificate carries (issuance/orphans.py), by state: one indexed count each."""
    return {state.value: OrphanCredential.objects(state=state).count() for state in OrphanState}


def unrevoked_orphans():
    """Orphans Certify would still call valid (pending, or unrevocable), oldest first."""
    found = OrphanCredential.objects(state__in=[OrphanState.PENDING, OrphanState.UNREVOCABLE])
    return found.order_by("recorded_at").limit(LISTED)


def queue_status(now: datetime | None = None) -> dict:
    now = now or utcnow()
    # One count per status: each is a range of the claim index (status first) on MongoDB.
    counts = {status: IssuanceJob.objects(status=status).count() for status in JobStatus}
    retrying = IssuanceJob.objects.will_retry().order_by("next_attempt_at")
    gave_up = IssuanceJob.objects.gave_up().order_by("-finished_at")
    oldest = oldest_due_job(now)
    return {
        "counts": counts,
        "will_retry": {"count": retrying.count(), "jobs": [_job_row(job) for job in retrying.limit(LISTED)]},
        "gave_up": {"count": gave_up.count(), "jobs": [_job_row(job) for job in gave_up.limit(LISTED)]},
        "oldest_due": _oldest_due_row(oldest, now) if oldest else None,
        "workers": [_worker_row(beat, now) for beat in WorkerHeartbeat.objects.order_by("-last_seen_at").limit(50)],
        "orphan_credentials": {"counts": orphan_counts(), "unrevoked": [_orphan_row(o) for o in unrevoked_orphans()]},
    }


@dataclass(frozen=True)
class Thresholds:
    min_live_workers: int = 1
    max_due_age_seconds: int = 600
    max_gave_up_per_hour: int = 10
    max_orphan_pending_seconds: int = 3600


def health_problems(thresholds: Thresholds, now: datetime | None = None) -> list[str]:
    """What an operator would be paged for, in words; empty when issuance is healthy."""
    now = now or utcnow()
    problems = []
    live = live_worker_count(now)
    if live < thresholds.min_live_workers:
        problems.append(
            f"{live} live worker(s), fewer than {thresholds.min_live_workers}: start run_issuance_worker "
            "(a worker is live while its heartbeat is recent)"
        )
    oldest = oldest_due_job(now)
    if oldest is not None and waited_seconds(oldest, now) > thresholds.max_due_age_seconds:
        problems.append(
            f"the oldest due job (batch {oldest.batch_number}, {oldest.status}) has waited "
            f"{waited_seconds(oldest, now):.0f} s, more than {thresholds.max_due_age_seconds:.0f} s: "
            "workers are stalled or too few"
        )
    gave_up = IssuanceJob.objects.gave_up().filter(finished_at__gte=now - timedelta(hours=1)).count()
    if gave_up > thresholds.max_gave_up_per_hour:
        problems.append(
            f"{gave_up} job(s) gave up in the last hour, more than {thresholds.max_gave_up_per_hour}: "
            "see issuance_status for their errors"
        )
    problems.extend(_orphan_problems(thresholds, now))
    return problems


def _orphan_problems(thresholds: Thresholds, now: datetime) -> list[str]:
    """Credentials Certify still calls valid though no certificate carries them."""
    late = now - timedelta(seconds=thresholds.max_orphan_pending_seconds)
    pending = OrphanCredential.objects(state=OrphanState.PENDING, recorded_at__lt=late).count()
    unrevocable = OrphanCredential.objects(state=OrphanState.UNREVOCABLE).count()
    problems = []
    if pending:
        problems.append(
            f"{pending} orphan Inji credential(s) recorded more than {thresholds.max_orphan_pending_seconds} s ago "
            "are not revoked at Inji Certify yet: see issuance_status for Certify's answer"
        )
    if unrevocable:
        problems.append(
            f"{unrevocable} orphan Inji credential(s) have no status entry to revoke them through: "
            "revoke them at Inji Certify by hand (see issuance_status)"
        )
    return problems


def _job_row(job: IssuanceJob) -> dict:
    last = job.errors[-1] if job.errors else None
    return {
        "id": str(job.pk),
        "batch": job.batch_number,
        "attempts": job.attempt_count,
        "next_attempt_at": job.next_attempt_at.isoformat() if job.next_attempt_at else None,
        "last_error": f"{last.kind}: {last.message}" if last else "",
    }


def _orphan_row(orphan: OrphanCredential) -> dict:
    return {
        "credential_id": orphan.credential_id,
        "job": str(orphan.job_id),
        "batch": orphan.batch_number,
        "state": orphan.state,
        "reason": orphan.reason,
        "recorded_at": orphan.recorded_at.isoformat(),
        "attempts": orphan.attempts,
        "last_error": orphan.last_error or "",
    }


def _oldest_due_row(job: IssuanceJob, now: datetime) -> dict:
    return {
        "id": str(job.pk),
        "batch": job.batch_number,
        "status": job.status,
        "age_seconds": round(waited_seconds(job, now), 1),
    }


def worker_state(beat: WorkerHeartbeat | None, now: datetime) -> str:
    if beat is None:
        return "unknown"
    if beat.stopped_at:
        return "stopped"
    return "stale" if now - beat.last_seen_at > STALE_AFTER else "live"


def worker_gone(job: IssuanceJob, now: datetime | None = None) -> bool:
    """May an operator release this processing job? Only when its worker is not alive to finish it."""
    if job.status != JobStatus.PROCESSING:
        return False
    now = now or utcnow()
    if job.lease_expires_at is not None and job.lease_expires_at < now:
        return True
    beat = WorkerHeartbeat.objects(worker_id=job.locked_by).first() if job.locked_by else None
    return worker_state(beat, now) != "live"


def _worker_row(beat: WorkerHeartbeat, now: datetime) -> dict:
    state = worker_state(beat, now)
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
