"""Claiming: the job due longest goes first; nothing is claimed early or twice."""

from __future__ import annotations

from datetime import timedelta

from core.clock import utcnow
from issuance import queue
from issuance.models import IssuanceJob, JobStatus
from tests.factories import make_batch, make_inspection


def test_claims_take_the_job_due_longest_and_skip_those_not_yet_due():
    now = utcnow()
    for number, due in (
        ("LATER", now + timedelta(minutes=5)),
        ("NEWER", now - timedelta(seconds=5)),
        ("OLDER", now - timedelta(minutes=5)),
    ):
        make_inspection(make_batch(number))
        IssuanceJob.objects(batch_number=number).update_one(set__next_attempt_at=due)

    first, second, third = (queue.claim("w", 30) for _ in range(3))

    assert (first.batch_number, second.batch_number) == ("OLDER", "NEWER")
    assert third is None
    assert first.status == JobStatus.PROCESSING and first.locked_by == "w" and first.attempt_count == 1
    assert first.lease_expires_at > utcnow() + timedelta(seconds=25)


def test_a_job_without_attempts_left_is_never_claimed(batch):
    make_inspection(batch)
    IssuanceJob.objects.update_one(set__status=JobStatus.FAILED, set__attempts_left=0)

    assert queue.claim("w", 30) is None
