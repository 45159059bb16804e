"""Several worker instances on one database process every job exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from certificates.models import Certificate
from issuance.inji.mock import issue as mock_issue
from issuance.models import IssuanceJob, JobStatus
from issuance.worker import Worker
from tests.factories import make_batch, make_inspection

pytestmark = pytest.mark.django_db(transaction=True)

JOBS = 120


def test_three_workers_process_every_job_exactly_once():
    for n in range(JOBS):
        make_inspection(make_batch(f"MULTI-{n:03d}"))
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def counting_issue(batch, inspection, *, certificate_key, received=None):
        with lock:
            calls[certificate_key] += 1
        return mock_issue(batch, inspection, certificate_key=certificate_key)

    workers = [Worker(issue=counting_issue, concurrency=4, poll_interval_ms=20) for _ in range(3)]
    summaries = []
    threads = [threading.Thread(target=lambda w=w: summaries.append(w.run(once=True))) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert IssuanceJob.objects(status=JobStatus.SUCCESS).count() == JOBS
    assert Certificate.objects.count() == JOBS
    assert len(calls) == JOBS and set(calls.values()) == {1}
    assert sum(s["success"] for s in summaries) == JOBS
    assert sum(1 for s in summaries if s["success"]) >= 2, "the workers did not actually share the work"
    assert all(job.attempt_count == 1 for job in IssuanceJob.objects)
