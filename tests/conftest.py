"""Shared fixtures: a fresh MongoDB for every test, named actors, demo documents.

Tests run on embedded mongomock; set MONGODB_TEST_URI=mongodb://host/agriqcert_test to run the
same suite against a real server. Its database is emptied before every test, so its name must end
in "_test" (a URI naming a production database is refused); indexes are built once per session
and subprocess tests (workers, the run command) use the same server. A server's indexes outlive
each test: a test that drops or changes one asks for `indexes_restored`, and one that forgets
fails, naming what it left behind.
"""

from __future__ import annotations

import os

import mongoengine
import pytest

from certificates.models import Batch
from core import indexes, mongo
from core.environment import mongodb_database_name
from tests.factories import make_batch

MONGODB_TEST_URI = os.environ.get("MONGODB_TEST_URI", "")


def database_env(env: dict) -> dict:
    """`env` for a subprocess that must use the same MongoDB as the tests (or its own embedded one)."""
    env = {key: value for key, value in env.items() if key != "MONGODB_URI"}
    return {**env, "MONGODB_URI": MONGODB_TEST_URI} if MONGODB_TEST_URI else env


@pytest.fixture(scope="session")
def real_server():
    """With MONGODB_TEST_URI: check the database may be wiped, build its indexes once."""
    if not MONGODB_TEST_URI:
        return
    name = mongodb_database_name("MONGODB_TEST_URI", MONGODB_TEST_URI)
    if not name.endswith("_test"):
        pytest.exit(f"MONGODB_TEST_URI names the database {name!r}; the tests empty it, so its name must end in _test")
    mongo.connect(MONGODB_TEST_URI)
    for outcome in indexes.ensure():
        assert not outcome.failures, outcome.failures


@pytest.fixture(autouse=True)
def mongodb(real_server):
    mongo.connect(MONGODB_TEST_URI, "agriqcert_test")  # embedded: a new, empty store each time
    if MONGODB_TEST_URI:
        db = mongoengine.get_db()
        for name in db.list_collection_names():
            if not name.startswith("system."):
                db[name].delete_many({})
    yield mongoengine.get_db()
    left = []
    if MONGODB_TEST_URI:
        mongo.connect(MONGODB_TEST_URI)  # the server, whatever the test connected to meanwhile
        left = [str(problem) for problem in indexes.problems()]
        if left:
            restore_declared_indexes()
    mongoengine.disconnect()
    if left:
        pytest.fail(f"the test left the server's indexes changed ({'; '.join(left)}): ask for indexes_restored")


@pytest.fixture
def indexes_restored(mongodb):
    """For a test that drops or changes indexes: a real server gets the declared ones back afterwards
    (the embedded store is new at every test anyway)."""
    yield
    if MONGODB_TEST_URI:
        restore_declared_indexes()


def restore_declared_indexes() -> None:
    """Every registered collection emptied (a test may have stored what keeps a unique index from
    being built) and given exactly its declared indexes."""
    for document in indexes.documents():
        collection = document._get_collection()
        collection.delete_many({})
        collection.drop_indexes()  # all but _id
        indexes.create_all(document)


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
def fresh_mail_addresses():
    """Users vanish with each test's rolled-back transaction, which no signal reports."""
    from notifications.delivery import forget_addresses

    forget_addresses()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
