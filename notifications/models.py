"""Notifications shown in the app (and mailed when the recipient has an address)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from mongoengine import DateTimeField, Document, ObjectIdField, StringField

from core.clock import utcnow


class NotificationKind(StrEnum):
    CERTIFICATE_READY = "certificate_ready"
    ISSUANCE_FAILED = "issuance_failed"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_SHARED = "certificate_shared"


class Notification(Document):
    recipient = StringField(required=True, max_length=150)  # a username, or "staff"
    kind = StringField(required=True, choices=list(NotificationKind))
    title = StringField(required=True, max_length=200)
    message = StringField(required=True, max_length=2000)
    batch_id = ObjectIdField()
    batch_number = StringField()
    certificate_id = ObjectIdField()
    created_at = DateTimeField(required=True, default=utcnow)
    read_at = DateTimeField()
    emailed_at = DateTimeField()
    # Set when the same event must never notify twice (a worker retrying after a crash).
    dedupe_key = StringField()
    # Read or not, a notification goes NOTIFICATION_RETENTION_DAYS after it was made (TTL index).
    expires_at = DateTimeField(default=lambda: utcnow() + timedelta(days=settings.NOTIFICATION_RETENTION_DAYS))

    # A sparse unique index still indexes an explicit null; the partial index counts only strings.
    obsolete_indexes = ("dedupe_key_1",)

    meta = {
        "collection": "notifications",
        "auto_create_index": False,
        "indexes": [
            ("recipient", "read_at", "-created_at"),  # unread counts
            ("recipient", "-created_at"),  # a user's list, newest first
            "-created_at",  # the admin's list
            {
                "fields": ["dedupe_key"],
                "name": "dedupe",
                "unique": True,
                "partialFilterExpression": {"dedupe_key": {"$type": "string"}},
            },
            {"fields": ["expires_at"], "name": "retention_ttl", "expireAfterSeconds": 0},
        ],
    }
