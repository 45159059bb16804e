"""A worker killed between any two MongoDB writes of storing a certificate leaves a state its job's
retry completes: one active certificate per batch, the batch certified, the superseded one revoked
and linked. Revoking again completes a revocation killed between its writes.

The kill is simulated in-process: the (N+1)th write raises an exception nothing in the app catches
(a BaseException, as the process would simply stop), for N = 0, 1, 2, … until the whole job fits in
N writes, so every gap between two writes is tried; then the job's lease expires and another
worker retries it. Writes are counted where they leave the app:
at the embedded client, or at pymongo's Collection with MONGODB_TEST_URI.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import mongomock
import pytest
from pymongo.collection import Collection

from certificates import lifecycle
from certificates.models import Batch, Certificate, CertificateStatus
from certificates.trust import verify
from core import embedded
from core.clock import utcnow
from issuance import processing, queue
from issuance.models import IssuanceJob, JobStatus
from notifications.models import Notification, NotificationKind
from tests.conftest import MONGODB_TEST_URI
from tests.factories import make_batch, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db

WRITES = {
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
    "bulk_write",
}


class Killed(BaseException):
    """The process stopped here: no `except Exception` in the app sees it, no cleanup runs after it."""


class Writes:
    def __init__(self) -> None:
        self.allowed: int | None = None  # None: not counting
        self.done = 0

    def before_write(self, what: str) -> None:
        if self.allowed is None:
            return
        if self.done == self.allowed:
            raise Killed(f"killed after {self.done} writes, before {what}")
        self.done += 1

    @contextmanager
    def killed_after(self, allowed: int):
        """Run the block; the process dies before its write number `allowed + 1`."""
        self.allowed, self.done = allowed, 0
        try:
            yield self
        finally:
            self.allowed = None


@pytest.fixture
def writes(monkeypatch) -> Writes:
    counter = Writes()
    if MONGODB_TEST_URI:
        for name in WRITES:
            plain = getattr(Collection, name)

            def write(self, *args, _plain=plain, _name=name, **kwargs):
                counter.before_write(f"{self.name}.{_name}")
                return _plain(self, *args, **kwargs)

            monkeypatch.setattr(Collection, name, write)
        return counter
    locked = embedded._Locked
    plain_getattr, plain_find_one_and_update = locked.__getattr__, locked.find_one_and_update

    def getattr_(proxy, name):
        target = object.__getattribute__(proxy, "_target")
        if isinstance(target, mongomock.Collection) and name in WRITES:
            counter.before_write(f"{target.name}.{name}")
        return plain_getattr(proxy, name)

    def find_one_and_update(proxy, *args, **kwargs):
        counter.before_write(f"{object.__getattribute__(proxy, '_target').name}.find_one_and_update")
        return plain_find_one_and_update(proxy, *args, **kwargs)

    monkeypatch.setattr(locked, "__getattr__", getattr_)
    monkeypatch.setattr(locked, "find_one_and_update", find_one_and_update)
    return counter


def certified_batch(number: str) -> tuple[Batch, Certificate]:
    batch = make_batch(number)
    make_inspection(batch)
    run_due_jobs()
    certificate = Certificate.objects.get(batch=batch)
    Certificate.objects(pk=certificate.pk).update_one(add_to_set__shared_with="importer")
    return batch, certificate


def run_killed(job: IssuanceJob, writes: Writes, allowed: int) -> bool:
    """Process `job` in a worker that dies before write `allowed + 1`; True when it finished first."""
    with writes.killed_after(allowed):
        try:
            processing.process(job, "doomed-worker", lease_seconds=60)
        except Killed:
            return False
    return True


def retry_after_the_lease_expires(job: IssuanceJob) -> None:
    IssuanceJob.objects(pk=job.pk).update_one(set__lease_expires_at=utcnow() - timedelta(seconds=1))
    assert processing.recover_expired_leases() == 1
    assert run_due_jobs() == 1


def each_kill_then_retry(writes: Writes, make_job) -> list:
    """For N = 0, 1, 2, …: a fresh job whose worker dies before its write N + 1 and which another worker
    retries once the lease expired — until a job needs no more than N writes, so every gap between
    two writes was tried. Returns what each job was about (`make_job` returns the job and that)."""
    subjects = []
    for allowed in range(60):
        job, subject = make_job(allowed)
        claimed = queue.claim("doomed-worker", 60)
        assert claimed is not None and claimed.pk == job.pk
        finished = run_killed(claimed, writes, allowed)
        if not finished:
            retry_after_the_lease_expires(claimed)
        subjects.append(subject)
        if finished:
            return subjects
    raise AssertionError("the job never finished")


def test_a_supersede_killed_between_any_two_writes_ends_with_one_active_certificate_after_the_retry(writes):
    def passing_re_test(n: int):
        batch, old = certified_batch(f"RE-{n:03d}")
        make_inspection(batch)
        return IssuanceJob.objects.get(batch_id=batch.pk, status=JobStatus.PENDING), (batch, old)

    tried = each_kill_then_retry(writes, passing_re_test)
    for batch, old in tried:
        new = Certificate.objects.get(batch=batch, status=CertificateStatus.ACTIVE)
        old.reload()
        assert Certificate.objects(batch=batch).count() == 2
        assert old.status == CertificateStatus.REVOKED and old.superseded_by == new.pk and new.supersedes == old.pk
        assert old.revocation_reason.startswith(f"Superseded by certificate {new.credential_id}")
        assert verify(old.credential).valid is False and verify(new.credential).valid is True
        assert batch.reload().status == "certified"
        told = Notification.objects(kind=NotificationKind.CERTIFICATE_REVOKED, certificate_id=old.pk)
        assert sorted(n.recipient for n in told) == ["exporter", "importer"]
        assert Notification.objects(kind=NotificationKind.CERTIFICATE_READY, certificate_id=new.pk).count() == 1
        assert IssuanceJob.objects.get(pk=new.job_id).status == JobStatus.SUCCESS
    assert len(tried) >= 8  # lease renewal, status list position, store, bit, mark, link, activate, certify, …


def test_a_first_certificate_killed_between_any_two_writes_is_in_force_after_the_retry(writes):
    def first_inspection(n: int):
        batch = make_batch(f"FIRST-{n:03d}")
        make_inspection(batch)
        return IssuanceJob.objects.get(batch_id=batch.pk), batch

    tried = each_kill_then_retry(writes, first_inspection)
    for batch in tried:
        (certificate,) = Certificate.objects(batch=batch)
        assert certificate.status == CertificateStatus.ACTIVE and certificate.supersedes is None
        assert batch.reload().status == "certified"
        assert verify(certificate.credential).valid is True
    assert len(tried) >= 4


@pytest.mark.parametrize("allowed", range(5))
def test_a_revocation_killed_between_its_writes_is_completed_by_revoking_again(writes, allowed):
    batch, certificate = certified_batch("REVOKE-1")

    with writes.killed_after(allowed), pytest.raises(Killed):
        lifecycle.revoke(certificate, by="operator", reason="Mislabelled lot")
    lifecycle.revoke(certificate, by="operator", reason="Mislabelled lot")

    certificate.reload()
    assert certificate.status == CertificateStatus.REVOKED and certificate.revocation_published is True
    assert certificate.revocation_reason == "Mislabelled lot"
    assert verify(certificate.credential).valid is False
    assert batch.reload().status == "revoked"
    told = Notification.objects(kind=NotificationKind.CERTIFICATE_REVOKED, certificate_id=certificate.pk)
    assert sorted(n.recipient for n in told) == ["exporter", "importer"]


def test_a_revocation_takes_five_writes_so_every_gap_above_is_tried(writes):
    batch, certificate = certified_batch("REVOKE-2")

    with writes.killed_after(5):
        lifecycle.revoke(certificate, by="operator", reason="Mislabelled lot")

    assert writes.done == 5  # bit, mark, batch, two notices
