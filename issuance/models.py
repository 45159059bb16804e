"""The issuance queue's documents: one IssuanceJob per certificate to issue, one heartbeat per worker.

Every write that changes a job's status lives in issuance/queue.py.
"""

from __future__ import annotations

from django.db import models as django_models
from mongoengine import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)

from core.clock import utcnow


class JobStatus:
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    CHOICES = (PENDING, PROCESSING, SUCCESS, FAILED)
    CLAIMABLE = (PENDING, FAILED)


class Trigger:
    AUTOMATIC = "automatic"
    COMMAND = "command"
    ADMIN = "admin"
    API = "api"
    CHOICES = (AUTOMATIC, COMMAND, ADMIN, API)


class ErrorKind:
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    LEASE_EXPIRED = "lease_expired"
    CANCELLED = "cancelled"
    RELEASED = "released"
    CHOICES = (TRANSIENT, PERMANENT, LEASE_EXPIRED, CANCELLED, RELEASED)


class JobError(EmbeddedDocument):
    attempt = IntField(required=True)
    at = DateTimeField(required=True)
    kind = StringField(required=True, choices=ErrorKind.CHOICES)
    message = StringField(required=True)
    worker = StringField()


class IssuanceJob(Document):
    """A request to issue one certificate.

    A failed job with `next_attempt_at` set will be retried then; a failed job without it gave up.
    `attempts_left` mirrors max_attempts - attempt_count so the claim filter is one index range.
    """

    status = StringField(required=True, choices=JobStatus.CHOICES, default=JobStatus.PENDING)
    dedupe_key = StringField(required=True, unique=True)  # certificates.models.certificate_key
    batch_id = ObjectIdField(required=True)
    batch_number = StringField(required=True)
    inspection_id = ObjectIdField(required=True)
    revision = IntField(required=True, default=0, min_value=0)
    trigger = StringField(required=True, choices=Trigger.CHOICES)
    requested_by = StringField()
    attempt_count = IntField(required=True, default=0, min_value=0)
    max_attempts = IntField(required=True, default=3, min_value=1)
    attempts_left = IntField(required=True, default=3)
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
    created_at = DateTimeField(required=True, default=utcnow)
    updated_at = DateTimeField(required=True, default=utcnow)

    meta = {
        "collection": "issuance_jobs",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["status", "next_attempt_at", "attempts_left"], "name": "claim"},
            {"fields": ["status", "lease_expires_at"], "name": "lease_recovery"},
            {"fields": ["expires_at"], "name": "retention_ttl", "expireAfterSeconds": 0},
            {"fields": ["batch_number", "-created_at"], "name": "by_batch"},
            {"fields": ["inspection_id"], "name": "by_inspection"},
            {"fields": ["-created_at"], "name": "newest"},
            {"fields": ["status", "-created_at"], "name": "by_status"},
        ],
    }

    @property
    def will_retry(self) -> bool:
        return self.status == JobStatus.FAILED and self.next_attempt_at is not None

    @property
    def gave_up(self) -> bool:
        return self.status == JobStatus.FAILED and self.next_attempt_at is None

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"


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
