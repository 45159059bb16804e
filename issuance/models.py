"""The issuance queue's documents: one IssuanceJob per certificate to issue, one heartbeat per worker,
one OrphanCredential per Inji credential no certificate will carry.

Every write that changes a job's status lives in issuance/queue.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from django.db import models as django_models
from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    ObjectIdField,
    QuerySet,
    StringField,
)

from core.clock import utcnow


class JobStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"


CLAIMABLE = (JobStatus.PENDING, JobStatus.FAILED)


def due_condition(now: datetime) -> dict:
    """A job is due when a worker may claim it at `now`: pending, or failed with a retry, whose
    next attempt time has come, with attempts left (a failed job that gave up has no next attempt).

    The claim's filter, and the oldest due job that issuance_status, /metrics and the alert watch,
    are this condition: equalities and ranges that the `claim` index serves, no $or.
    """
    return {"status": {"$in": list(CLAIMABLE)}, "next_attempt_at": {"$lte": now}, "attempts_left": {"$gt": 0}}


# Due jobs are taken longest-waiting first: ascending on this field.
DUE_ORDER = "next_attempt_at"


class Trigger(StrEnum):
    AUTOMATIC = "automatic"
    COMMAND = "command"
    ADMIN = "admin"
    API = "api"


class ErrorKind(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    LEASE_EXPIRED = "lease_expired"
    CANCELLED = "cancelled"
    RELEASED = "released"


# A worker writes its heartbeat at least this often; four missed beats mean dead or cut off.
HEARTBEAT_EVERY_AT_MOST = timedelta(seconds=15)
STALE_AFTER = 4 * HEARTBEAT_EVERY_AT_MOST


class JobQuerySet(QuerySet):
    """The questions every caller asks of the queue, asked one way (and so served by one index)."""

    def live(self) -> JobQuerySet:
        """Jobs that will still run: pending, processing, or failed with a retry scheduled."""
        return self.filter(
            status__in=[JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.FAILED], next_attempt_at__ne=None
        )

    def will_retry(self) -> JobQuerySet:
        return self.filter(status=JobStatus.FAILED, next_attempt_at__ne=None)

    def gave_up(self) -> JobQuerySet:
        return self.filter(status=JobStatus.FAILED, next_attempt_at=None)

    def due(self, now: datetime) -> JobQuerySet:
        """Jobs a worker may claim at `now`, in the order the claim takes them."""
        return self.filter(__raw__=due_condition(now)).order_by(DUE_ORDER)


class JobError(EmbeddedDocument):
    attempt = IntField(required=True)
    at = DateTimeField(required=True)
    kind = StringField(required=True, choices=list(ErrorKind))
    message = StringField(required=True)
    worker = StringField()


class UnkeptCredential(EmbeddedDocument):
    """Inji Certify's answer that a job gave up holding; issuance/orphans.py records and revokes it."""

    credential = StringField(required=True)  # JSON, as Certify returned it
    reason = StringField(required=True)
    at = DateTimeField(required=True)
    worker = StringField()


class IssuanceJob(Document):
    """A request to issue one certificate.

    A failed job with `next_attempt_at` set will be retried then; a failed job without it gave up.
    `attempts_left` mirrors max_attempts - attempt_count so the claim filter is one index range.
    """

    status = StringField(required=True, choices=list(JobStatus), default=JobStatus.PENDING)
    dedupe_key = StringField(required=True, unique=True)  # certificates.models.certificate_key
    batch_id = ObjectIdField(required=True)
    batch_number = StringField(required=True)
    inspection_id = ObjectIdField(required=True)
    revision = IntField(required=True, default=0, min_value=0)
    trigger = StringField(required=True, choices=list(Trigger))
    requested_by = StringField()
    attempt_count = IntField(required=True, default=0, min_value=0)
    max_attempts = IntField(required=True, min_value=1)  # settings.ISSUANCE_MAX_ATTEMPTS when enqueued
    attempts_left = IntField(required=True)
    next_attempt_at = DateTimeField()
    locked_by = StringField()
    lock_token = StringField()
    lease_expires_at = DateTimeField()
    started_at = DateTimeField()
    finished_at = DateTimeField()
    expires_at = DateTimeField()
    errors = EmbeddedDocumentListField(JobError)
    certificate_id = ObjectIdField()
    retried_by = StringField()
    retried_at = DateTimeField()
    # An earlier job or attempt may have stored the certificate (it was released unfinished, or a
    # certificate with this key existed when it was enqueued): look before calling the issuer.
    certificate_may_exist = BooleanField(default=False)
    # What Inji Certify returned (JSON), kept by the lease holder before anything checks it: a later
    # attempt uses it instead of asking Certify for a second credential.
    received_credential = StringField()
    # Answers the job gave up holding (moved here by the same write), until they are orphans.
    unkept = EmbeddedDocumentListField(UnkeptCredential)
    created_at = DateTimeField(required=True, default=utcnow)
    updated_at = DateTimeField(required=True, default=utcnow)

    meta = {
        "collection": "issuance_jobs",
        "queryset_class": JobQuerySet,
        "auto_create_index": False,
        "indexes": [
            {"fields": ["status", "next_attempt_at", "attempts_left"], "name": "claim"},
            {"fields": ["status", "lease_expires_at"], "name": "lease_recovery"},
            {"fields": ["expires_at"], "name": "retention_ttl", "expireAfterSeconds": 0},
            {"fields": ["batch_number", "-created_at"], "name": "by_batch"},
            {"fields": ["inspection_id"], "name": "by_inspection"},
            {"fields": ["-created_at"], "name": "newest"},
            {"fields": ["-updated_at"], "name": "recently_updated"},
            {"fields": ["batch_number"], "name": "batch_number"},
            {"fields": ["status", "-created_at"], "name": "by_status"},
            {"fields": ["batch_id", "-created_at"], "name": "by_batch_id"},
            {"fields": ["trigger", "-created_at"], "name": "by_trigger"},
            # Jobs that gave up, most recent first (status, gave-up list, admin).
            {"fields": ["status", "next_attempt_at", "-finished_at"], "name": "gave_up"},
            # The few jobs holding unkept answers, for the orphan sweep.
            {"fields": ["unkept.at"], "name": "unkept_answers", "sparse": True},
        ],
    }

    @property
    def will_retry(self) -> bool:
        return self.status == JobStatus.FAILED and self.next_attempt_at is not None

    @property
    def gave_up(self) -> bool:
        return self.status == JobStatus.FAILED and self.next_attempt_at is None

    def describe(self) -> str:
        """The job and where it stands, in words: "job 6b0a… (failed, will retry at 14:02:10 UTC)"."""
        if self.will_retry:
            return f"job {self.pk} (failed, will retry at {self.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC)"
        if self.gave_up:
            return f"job {self.pk} (failed, gave up)"
        return f"job {self.pk} ({self.status})"

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"


class OrphanState(StrEnum):
    PENDING = "pending"  # not revoked at Inji Certify yet: the workers' sweep tries again
    REVOKED = "revoked"
    UNREVOCABLE = "unrevocable"  # it names no status entry to revoke it through: act at Certify
    IN_USE = "in_use"  # a certificate carries it after all (a race went the other way): left valid


class OrphanCredential(Document):
    """A credential Inji Certify issued that no certificate will carry, revoked at Certify so that at
    most one credential per inspection revision stays valid (issuance/orphans.py)."""

    credential_id = StringField(required=True, unique=True)  # its id (or a digest when it has none)
    job_id = ObjectIdField(required=True)
    dedupe_key = StringField(required=True)  # the certificate key it was issued for
    batch_number = StringField(required=True)
    reason = StringField(required=True)
    worker = StringField()
    status_entry = DictField()  # its credentialStatus revocation entry: all revocation needs
    state = StringField(required=True, choices=list(OrphanState), default=OrphanState.PENDING)
    attempts = IntField(required=True, default=0)
    next_attempt_at = DateTimeField()
    last_error = StringField()
    recorded_at = DateTimeField(required=True, default=utcnow)
    revoked_at = DateTimeField()

    meta = {
        "collection": "orphan_credentials",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["state", "next_attempt_at"], "name": "revocation_due"},
            {"fields": ["state", "recorded_at"], "name": "by_state"},
            {"fields": ["job_id", "recorded_at"], "name": "by_job"},
        ],
    }


class WorkerHeartbeat(Document):
    worker_id = StringField(primary_key=True)
    host = StringField(required=True)
    pid = IntField(required=True)
    started_at = DateTimeField(required=True)
    last_seen_at = DateTimeField(required=True)
    stopped_at = DateTimeField()
    concurrency = IntField(required=True)
    active_jobs = ListField(StringField())
    processed = IntField(default=0)
    failed = IntField(default=0)
    expires_at = DateTimeField()

    meta = {
        "collection": "worker_heartbeats",
        "auto_create_index": False,
        "indexes": [
            "-last_seen_at",
            {"fields": ["expires_at"], "name": "retention_ttl", "expireAfterSeconds": 0},
        ],
    }


class IssuanceAdminPermissions(django_models.Model):
    """No table: carries the permissions for the admin's issuance actions, so a superuser can
    grant them to a group."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("retry_job", "Can retry issuance jobs"),
            ("cancel_job", "Can cancel pending issuance jobs"),
            ("release_job", "Can release issuance jobs stuck in processing"),
            ("enqueue_job", "Can enqueue issuance for a batch"),
        ]
