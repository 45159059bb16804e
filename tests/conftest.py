"""Shared fixtures: a fresh MongoDB for every test, named actors, demo documents.

Tests run on embedded mongomock; set MONGODB_TEST_URI=mongodb://host/agriqcert_test to run the
same suite against a real server (each test then starts from empty collections).
"""

from __future__ import annotations

import os

import mongoengine
import pytest

from certificates.models import Batch
from core import mongo
from tests.factories import make_batch

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


@pytest.fixture
def batch() -> Batch:
    return make_batch()


@pytest.fixture(autouse=True)
def issuer_key_file(settings, tmp_path_factory):
    """Every test signs with one throwaway mock-issuer key, never the developer's."""
    settings.MOCK_ISSUER_KEY_FILE = tmp_path_factory.getbasetemp() / "mock-issuer-ed25519.key"
    return settings.MOCK_ISSUER_KEY_FILE


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
