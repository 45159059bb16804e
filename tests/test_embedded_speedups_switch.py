"""EMBEDDED_SPEEDUPS turns the embedded store's speed-ups on and off; its lock stays on either way."""

from __future__ import annotations

import os

import mongoengine
import mongomock
import mongomock.collection
import pytest

from core import embedded, embedded_speedups, mongo
from tests.commands import manage
from tests.conftest import MONGODB_TEST_URI

pytestmark = pytest.mark.skipif(bool(MONGODB_TEST_URI), reason="about the embedded client only")

SIZE = 1_000


def connect_embedded(settings, speedups: bool):
    settings.EMBEDDED_SPEEDUPS = speedups
    mongo.connect("", "agriqcert_test")
    return mongoengine.get_db()


def documents_matched_by_id_lookup(monkeypatch, db) -> int:
    things = db["things"]
    things.insert_many([{"_id": n, "code": f"C{n}"} for n in range(SIZE)])
    matched = []
    original = mongomock.collection.filter_applies
    monkeypatch.setattr(mongomock.collection, "filter_applies", lambda *args: matched.append(1) or original(*args))
    monkeypatch.setattr(embedded_speedups, "filter_applies", lambda *args: matched.append(1) or original(*args))

    assert things.find_one({"_id": 750})["code"] == "C750"
    return len(matched)


def test_with_the_speed_ups_on_the_locked_client_takes_their_shortcuts(settings, monkeypatch):
    db = connect_embedded(settings, speedups=True)

    assert type(mongoengine.get_connection()) is embedded_speedups.SpedUpMongoClient
    assert documents_matched_by_id_lookup(monkeypatch, db) <= 1


def test_with_the_speed_ups_off_the_client_is_locked_plain_mongomock(settings, monkeypatch):
    db = connect_embedded(settings, speedups=False)

    assert type(mongoengine.get_connection()) is embedded.LockedMongoClient
    assert isinstance(db["things"], embedded._Locked)
    assert documents_matched_by_id_lookup(monkeypatch, db) >= SIZE  # mongomock's own scan


def test_without_the_speed_ups_any_mongomock_version_will_do(settings, monkeypatch):
    monkeypatch.setattr(mongomock, "__version__", "4.4.0")

    db = connect_embedded(settings, speedups=False)

    db["things"].insert_one({"code": "C1"})
    assert db["things"].count_documents({"code": "C1"}) == 1


def test_a_bad_value_stops_start_up_with_one_line_naming_it():
    env = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}

    result = manage("check", env={**env, "EMBEDDED_SPEEDUPS": "sometimes"})

    assert result.returncode == 2
    assert "EMBEDDED_SPEEDUPS must be true or false (got 'sometimes')" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
