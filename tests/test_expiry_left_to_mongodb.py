"""Expired jobs and notifications are deleted by MongoDB's TTL monitor on a server, by the server's
clock; the worker's sweep, with its own host's clock, runs only for the embedded store, which has no
monitor. (A host whose clock ran fast deleted finished jobs early and freed their dedupe keys.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import mongo
from core.clock import utcnow
from issuance.models import IssuanceJob
from issuance.worker import Worker
from notifications.delivery import notify
from notifications.models import Notification
from tests.factories import make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired(batch, monkeypatch):
    monkeypatch.setattr("issuance.worker.PURGE_EVERY_SECONDS", 0)  # the sweep is due at every maintenance
    make_inspection(batch)
    notify("exporter", "certificate_ready", "Ready", "Your certificate is ready.")
    past = utcnow() - timedelta(days=1)
    IssuanceJob.objects.update(set__status="success", set__finished_at=past, set__expires_at=past)
    Notification.objects.update(set__expires_at=past)


def test_the_worker_sweeps_expired_documents_from_the_embedded_store(expired, monkeypatch):
    monkeypatch.setattr(mongo, "is_embedded", lambda: True)  # (so too with MONGODB_TEST_URI)

    Worker(lease_seconds=10).maintain()

    assert IssuanceJob.objects.count() == 0 and Notification.objects.count() == 0


def test_on_a_server_the_worker_leaves_expiry_to_the_ttl_monitor(expired, monkeypatch):
    monkeypatch.setattr(mongo, "is_embedded", lambda: False)

    Worker(lease_seconds=10).maintain()

    assert IssuanceJob.objects.count() == 1 and Notification.objects.count() == 1


def test_both_collections_declare_the_ttl_index_the_monitor_reads():
    from core import indexes

    for document in (IssuanceJob, Notification):
        ttl = [spec for spec in indexes.declared(document) if "expireAfterSeconds" in spec["options"]]
        assert ttl == [{"name": "retention_ttl", "keys": [("expires_at", 1)], "options": {"expireAfterSeconds": 0}}]
