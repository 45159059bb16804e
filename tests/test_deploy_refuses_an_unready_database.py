"""A deploy stops before a release serves a database it cannot rely on: `ensure_indexes --check` and
`check --deploy` fail naming each missing index, or that MongoDB did not answer; they build nothing.
Issuance workers still refuse to start on such a database, in one line that says what to do."""

from __future__ import annotations

import os

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from pymongo.errors import ServerSelectionTimeoutError

from core import indexes, mongo
from issuance.models import IssuanceJob
from tests.commands import manage
from tests.conftest import MONGODB_TEST_URI
from tests.test_error_pages_hide_secrets import free_port

pytestmark = pytest.mark.usefixtures("indexes_restored")


@pytest.fixture
def on_mongodb(monkeypatch):
    monkeypatch.setattr(mongo, "is_embedded", lambda: False)


@pytest.fixture
def unreachable(monkeypatch):
    def no_answer():
        raise ServerSelectionTimeoutError("127.0.0.1:27017: [Errno 111] Connection refused")

    monkeypatch.setattr(indexes, "problems", no_answer)


def test_ensure_indexes_check_passes_when_every_index_is_in_place(capsys):
    call_command("ensure_indexes", "--check")

    assert capsys.readouterr().out == "Every declared index is in place.\n"


def test_ensure_indexes_check_names_a_missing_index_and_builds_nothing(capsys):
    IssuanceJob._get_collection().drop_index("claim")

    with pytest.raises(CommandError, match="not ready for this release: run python manage.py ensure_indexes"):
        call_command("ensure_indexes", "--check")

    assert capsys.readouterr().err == "issuance_jobs.claim: missing\n"
    assert "claim" not in IssuanceJob._get_collection().index_information()


def test_ensure_indexes_check_fails_when_mongodb_does_not_answer(unreachable, capsys):
    with pytest.raises(CommandError):
        call_command("ensure_indexes", "--check")

    assert "MongoDB did not list its indexes (ServerSelectionTimeoutError)" in capsys.readouterr().err


def test_check_deploy_names_a_missing_index(on_mongodb):
    IssuanceJob._get_collection().drop_index("claim")

    with pytest.raises(SystemCheckError, match=r"core\.E001\) issuance_jobs\.claim: missing"):
        call_command("check", "--deploy", "--tag", "mongodb")


def test_check_deploy_fails_when_mongodb_does_not_answer(on_mongodb, unreachable):
    with pytest.raises(SystemCheckError, match=r"core\.E001\) MongoDB did not list its indexes"):
        call_command("check", "--deploy", "--tag", "mongodb")


@pytest.mark.skipif(bool(MONGODB_TEST_URI), reason="the embedded store's own case")
def test_check_deploy_leaves_the_embedded_store_alone():
    IssuanceJob._get_collection().drop_index("claim")  # never so at a real start: it builds its own

    call_command("check", "--deploy", "--tag", "mongodb")


def test_a_worker_refuses_to_start_on_a_database_that_does_not_answer_in_one_line(on_mongodb, unreachable):
    with pytest.raises(CommandError, match=r"^MongoDB did not list its indexes \(ServerSelectionTimeoutError\): check"):
        call_command("run_issuance_worker", "--once")


def test_the_deploy_gate_exits_non_zero_against_an_unreachable_server(tmp_path):
    """As a deploy script runs it: a real process, a MongoDB that refuses connections."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "MONGODB_"))}
    env.update(
        MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/agriqcert?timeoutMS=500",
        SECRET_KEY="a-long-random-secret-key-for-this-test-only-7Hq2Zx9kT4vQ9xR2mZ7pL0sW8nB5",
        SITE_URL="https://agriqcert.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'accounts.sqlite3'}",
    )

    gate = manage("ensure_indexes", "--check", env=env)

    assert gate.returncode == 1
    assert "MongoDB did not list its indexes (ServerSelectionTimeoutError)" in gate.stderr
    assert "Traceback" not in gate.stderr
