"""A database that does not answer in time is an outage: pages and the API answer 503 and say so,
and an unsafe request is told it may have been applied. Never a 500, never a retry behind the
user's back. (mongomock cannot time out: the store's calls raise what pymongo raises.)"""

from __future__ import annotations

import logging

import pytest
from mongoengine.queryset.base import BaseQuerySet
from pymongo.errors import (
    AutoReconnect,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from core import embedded

pytestmark = pytest.mark.django_db

OUTAGES = [
    ServerSelectionTimeoutError("db-1.internal:27017: timed out"),
    NetworkTimeout("db-1.internal:27017: timed out"),
    AutoReconnect("db-1.internal:27017: connection reset"),
    ExecutionTimeout("operation exceeded time limit", 50),
    WTimeoutError("waiting for replication timed out", 64),
]


@pytest.fixture
def store_raises():
    """`store_raises(exc)`: every call into the store raises `exc`, as pymongo does in an outage."""
    original = embedded._Locked.__getattr__

    def fail_with(exc: Exception) -> None:
        def raising(self, name):
            raise exc

        embedded._Locked.__getattr__ = raising

    yield fail_with
    embedded._Locked.__getattr__ = original


@pytest.fixture
def exporter(client, actors):
    client.force_login(actors["exporter"])
    return client


@pytest.mark.parametrize("outage", OUTAGES, ids=lambda exc: exc.__class__.__name__)
def test_a_page_answers_503_saying_the_database_did_not_answer(exporter, store_raises, outage):
    store_raises(outage)

    response = exporter.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30" and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "Our database did not answer in time" in page and "may or may not have been saved" not in page
    assert "db-1.internal" not in page


@pytest.mark.parametrize("outage", OUTAGES, ids=lambda exc: exc.__class__.__name__)
def test_the_api_answers_503_in_json(api, store_raises, outage):
    store_raises(outage)

    response = api["exporter"].get("/api/v1/batches/")

    assert response.status_code == 503
    assert response.json() == {"detail": "The database did not answer in time. Try again in a minute."}


def test_a_write_that_timed_out_is_reported_as_maybe_applied_not_retried(exporter, monkeypatch):
    calls = []

    def timed_out(self, *args, **kwargs):
        calls.append(kwargs)
        raise WTimeoutError("waiting for replication timed out", 64)

    monkeypatch.setattr(BaseQuerySet, "update", timed_out)

    response = exporter.post("/notifications/read/")

    assert response.status_code == 503
    assert "What you just sent may or may not have been saved." in response.content.decode()
    assert len(calls) == 1  # not retried: the write may have been applied


def test_an_api_write_that_timed_out_tells_the_client_to_read_before_resending(api, monkeypatch):
    monkeypatch.setattr(BaseQuerySet, "update", lambda *a, **k: (_ for _ in ()).throw(ExecutionTimeout("x", 50)))

    response = api["exporter"].post("/api/v1/notifications/read-all/")

    assert response.status_code == 503
    assert "may or may not have been applied: read the resource before sending it again" in response.json()["detail"]


def test_the_outage_is_logged_by_its_kind_without_the_servers_address(exporter, store_raises, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("core"), "handlers", [caplog.handler])  # it does not propagate
    store_raises(ServerSelectionTimeoutError("mongodb://agri:pw@db-1.internal:27017 timed out"))

    exporter.get("/")

    line = next(r.getMessage() for r in caplog.records if "database_unavailable" in r.getMessage())
    assert "error=ServerSelectionTimeoutError" in line and "method=GET path=/" in line
    assert "db-1.internal" not in line and "pw" not in line


def test_a_database_error_that_is_not_an_outage_is_not_hidden_as_one(exporter, store_raises):
    store_raises(OperationFailure("not authorized on agriqcert to execute command", 13))

    with pytest.raises(OperationFailure):
        exporter.get("/")
