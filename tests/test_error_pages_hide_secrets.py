"""No secret on any error page: not in settings or headers, and not in traceback variables either.

The real failure first: gunicorn with DEBUG=true on a MongoDB whose password was changed under it
(tests/fake_mongodb.py refuses the login as a server does). Before the filter, the debug page of
an anonymous GET printed the password five times (pymongo's MongoCredential, and SCRAM's `data`).
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections import namedtuple
from urllib.parse import quote

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from pymongo.auth_shared import MongoCredential, _Cache

from core import indexes
from core.error_reports import SecretMaskingFilter, SecretMaskingReporter
from tests.commands import ROOT, free_port
from tests.fake_mongodb import RefusingMongoDB
from tests.waiting import wait_until

MONGODB_PASSWORD = "S3cret&Pw-2041"  # '&' is escaped on an HTML page: both spellings must be absent
SECRET_KEY = "kT4-vQ9_xR2mZ7pL0sW8nB5cY3hJ6dF1gA-eU_iO-debug-page-secret-key"
INJI_API_KEY = "inji-gateway-key-7Hq2Zx9"
DATABASE_PASSWORD = "Pg-pa55word-913"


def spellings(secret: str) -> list[str]:
    return [secret, html.escape(secret), quote(secret, safe="")]


def declared_indexes() -> dict[str, list[dict]]:
    """What listIndexes answers on a database where `ensure_indexes` ran: the web app then starts."""
    return {
        document._get_collection_name(): [
            {"v": 2, "key": dict(spec["keys"]), "name": spec["name"], **spec["options"]}
            for spec in indexes.declared(document)
        ]
        for document in indexes.documents()
    }


def get(url: str, accept: str = "text/html") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def debug_server_on_a_refusing_mongodb():
    with RefusingMongoDB(MONGODB_PASSWORD, declared_indexes()) as mongodb:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "MONGODB_"))}
        env.update(
            DEBUG="true",
            MONGODB_URI=f"mongodb://agri:{quote(MONGODB_PASSWORD, safe='')}@127.0.0.1:{mongodb.port}/agriqcert"
            "?serverSelectionTimeoutMS=3000&authSource=admin",
            SECRET_KEY=SECRET_KEY,
            INJI_API_KEY=INJI_API_KEY,
            # Never connected to on these pages: only its password must not show.
            DATABASE_URL=f"postgres://agri:{DATABASE_PASSWORD}@127.0.0.1:1/agri",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS="1",
        )
        server = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "agriqcert.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: _answers(url), timeout=30, what="gunicorn to answer /healthz")
            yield url, mongodb
        finally:
            server.terminate()
            server.wait(30)


def _answers(url: str) -> bool:
    try:
        return get(url + "/healthz")[0] == 200
    except OSError:
        return False


def test_a_refused_mongodb_login_shows_no_secret_on_the_debug_page(debug_server_on_a_refusing_mongodb):
    url, mongodb = debug_server_on_a_refusing_mongodb
    assert get(url + "/c/anything/")[0] == 404, "the app reads MongoDB while the password holds"
    mongodb.refuse_logins()

    status, page = get(url + "/c/anything/")
    text_status, text = get(url + "/c/anything/", accept="text/plain")

    assert status == text_status == 500
    assert "OperationFailure" in page and "Authentication failed." in page and "Local vars" in page
    assert "MongoCredential(" in page and "_authenticate_scram" in page, "the frames that held the password"
    for secret in (MONGODB_PASSWORD, SECRET_KEY, INJI_API_KEY, DATABASE_PASSWORD):
        for spelling in spellings(secret):
            assert spelling not in page and spelling not in text, secret


def raise_with_secrets_in_locals():
    """Fails with secrets in its variables (ruff: F841 is what they are for)."""
    credentials = MongoCredential("SCRAM-SHA-256", "admin", "agri", MONGODB_PASSWORD, None, _Cache())  # noqa: F841
    data = MONGODB_PASSWORD.encode()  # noqa: F841 - as pymongo's SCRAM code holds it
    target = f"mongodb://agri:{quote(MONGODB_PASSWORD, safe='')}@db1:27017/agriqcert"
    nested = {"hosts": [("db1", {"dsn": target})], "options": (1, {"Authorization": f"Bearer {INJI_API_KEY}"})}  # noqa: F841
    holder = namedtuple("Settings", "name signing")("gateway", SECRET_KEY)  # noqa: F841
    raise RuntimeError(f"could not reach {target}")


def report(reporter_class, filter_class, request) -> str:
    try:
        raise_with_secrets_in_locals()
    except RuntimeError:
        reporter = reporter_class(request, *sys.exc_info())
    reporter.filter = filter_class()
    return reporter.get_traceback_html() + reporter.get_traceback_text()


@pytest.fixture
def secret_settings(settings):
    settings.SECRET_KEY = SECRET_KEY
    settings.INJI_API_KEY = INJI_API_KEY
    settings.MONGODB_URI = f"mongodb://agri:{quote(MONGODB_PASSWORD, safe='')}@db1:27017/agriqcert"
    return settings


def test_without_the_filter_these_locals_would_show_every_secret(secret_settings):
    shown = report(ExceptionReporter, SafeExceptionReporterFilter, RequestFactory().get("/"))

    assert MONGODB_PASSWORD in html.unescape(shown) and INJI_API_KEY in shown and SECRET_KEY in shown


def test_the_filter_masks_credentials_uris_tokens_and_this_deployments_secrets_in_any_local(secret_settings):
    shown = report(SecretMaskingReporter, SecretMaskingFilter, RequestFactory().get("/"))

    assert "MongoCredential(" in html.unescape(shown) and "RuntimeError" in shown
    for secret in (MONGODB_PASSWORD, SECRET_KEY, INJI_API_KEY):
        for spelling in spellings(secret):
            assert spelling not in shown, secret
    assert "mongodb://agri:********************@db1:27017/agriqcert" in shown


def frame_variables_of_a_scram_step() -> dict:
    """The variables of a frame like pymongo's SCRAM step, as the debug page will list them."""

    def scram_step():
        salted_pass, client_key, batch_count = b"\x01salted", b"\x02key", 3
        login = {"user": "agri", "apiKey": "k-123456", "password1": "pw-123456"}
        raise ValueError((salted_pass, client_key, batch_count, login))

    try:
        scram_step()
    except ValueError as error:
        frame = error.__traceback__.tb_next.tb_frame
    return dict(SecretMaskingFilter().get_traceback_frame_variables(None, frame))


def test_variables_and_keys_named_like_secrets_are_masked_whatever_they_hold(secret_settings):
    shown = frame_variables_of_a_scram_step()

    assert shown["salted_pass"] == shown["client_key"] == "********************"
    assert shown["batch_count"] == 3
    assert shown["login"] == {"user": "agri", "apiKey": "********************", "password1": "********************"}


def test_an_objects_repr_is_masked_too(secret_settings):
    class Login:
        def __repr__(self) -> str:
            return f"Login(user='agri', token='t-98765', key={SECRET_KEY!r})"

    shown = repr(SecretMaskingFilter().masked(Login(), frozenset({SECRET_KEY})))

    assert shown == "Login(user='agri', token='********************', key='********************')"
