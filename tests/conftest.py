"""Shared fixtures: a fresh MongoDB for every test, named actors, demo documents.

Tests run on embedded mongomock; set MONGODB_TEST_URI=mongodb://host/agriqcert_test to run the
same suite against a real server (each test then starts from empty collections).
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import mongoengine
import pytest

from certificates.models import Batch, Inspection
from core import mongo
from core.clock import utcnow

MONGODB_TEST_URI = os.environ.get("MONGODB_TEST_URI", "")


@pytest.fixture(autouse=True)
def mongodb():
    mongo.connect(MONGODB_TEST_URI, "agriqcert_test")
    if MONGODB_TEST_URI:
        db = mongoengine.get_db()
        for name in db.list_collection_names():
            db.drop_collection(name)
        mongo.ensure_indexes()
    yield mongoengine.get_db()
    mongoengine.disconnect()


def make_batch(number: str = "RICE-2026-001", **fields) -> Batch:
    values = {
        "batch_number": number,
        "exporter": "exporter",
        "exporter_name": "Green Valley Exports Pvt Ltd",
        "product": "Rice",
        "variety": "Basmati 1121",
        "hs_code": "1006.30",
        "quantity": 12500,
        "unit": "kg",
        "origin_country": "IN",
        "origin_region": "Punjab",
        "farm": "Green Valley Farm",
        "harvest_date": date.today() - timedelta(days=30),
        "destination_country": "DE",
    }
    values.update(fields)
    return Batch(**values).save()


def make_inspection(batch: Batch, outcome: str = "passed", **fields) -> Inspection:
    values = {
        "batch": batch,
        "inspector": "inspector",
        "agency": "National QA Agency",
        "inspected_at": utcnow() - timedelta(hours=1),
        "moisture_percent": 12.5,
        "pesticide_residue_mg_per_kg": 0.01,
        "foreign_matter_percent": 0.2,
        "grade": "A",
        "organic": False,
        "outcome": outcome,
    }
    values.update(fields)
    return Inspection(**values).save()


@pytest.fixture
def batch() -> Batch:
    return make_batch()


@pytest.fixture(autouse=True)
def issuer_key_file(settings, tmp_path_factory):
    """Every test signs with one throwaway mock-issuer key, never the developer's."""
    settings.MOCK_ISSUER_KEY_FILE = tmp_path_factory.getbasetemp() / "mock-issuer-ed25519.key"
    return settings.MOCK_ISSUER_KEY_FILE


def issue_certificate(inspection: Inspection, revision: int = 0):
    """Issue and store a certificate the way the worker does, with the mock issuer."""
    from certificates.models import certificate_key
    from issuance.inji.mock import issue
    from issuance.processing import store_certificate

    key = certificate_key(inspection.pk, revision)
    issued = issue(inspection.batch, inspection, certificate_key=key)
    return store_certificate(inspection.batch, inspection, issued, certificate_key=key, revision=revision)


def run_due_jobs(issue=None) -> int:
    """Process every due job in this thread, as one worker would (no threads: SQLite-safe)."""
    from issuance import queue
    from issuance.processing import process

    done = 0
    while (job := queue.claim("test-worker", 60)) is not None:
        if issue is None:
            process(job, "test-worker")
        else:
            process(job, "test-worker", issue)
        done += 1
    return done


@pytest.fixture
def actors(db, django_user_model):
    """Named users, one per role, plus an exporter who owns nothing here."""
    from django.contrib.auth.models import Group

    from core.roles import EXPORTER, IMPORTER, QA_AGENCY

    made = {}
    for username, full_name, role in (
        ("exporter", "Green Valley Exports Pvt Ltd", EXPORTER),
        ("other_exporter", "Rival Spices Ltd", EXPORTER),
        ("qa", "National QA Agency", QA_AGENCY),
        ("importer", "Hamburg Fine Foods GmbH", IMPORTER),
        ("staff", "Operator", None),
    ):
        user = django_user_model.objects.create_user(
            username, password="pw-123456", first_name=full_name, is_staff=role is None
        )
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        made[username] = user
    return made


@pytest.fixture
def api(actors):
    """An API client per actor (and 'anonymous'), authenticated by session."""
    from rest_framework.test import APIClient

    clients = {"anonymous": APIClient()}
    for name, user in actors.items():
        client = APIClient()
        client.force_authenticate(user)
        clients[name] = client
    return clients


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
