"""The web app boots and answers /healthz whatever MongoDB does; /readyz says what is wrong, per request.

gunicorn as deployed (deploy/gunicorn.conf.py) with MONGODB_URI on one loopback port that first
refuses connections, then accepts them and never answers, then — the database returns — hands them
to a wire-protocol fake of MongoDB (tests/fake_mongodb.py) holding the declared indexes. Through
all three the master that booted keeps serving and no worker fails to boot; /readyz answers 503
naming the mongodb check while the database is away and 200 once it is back, with no restart.
(No MongoDB server can run here: "returns" is the fake, which answers hello, ping and listIndexes.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from tests.commands import ROOT
from tests.fake_mongodb import RefusingMongoDB
from tests.test_error_pages_hide_secrets import declared_indexes, free_port
from tests.waiting import Lines, wait_until


class Loopback:
    """127.0.0.1:`port`: refuses until `accept_silently()`, then holds connections without a word
    until `forward_to(port)`, from when on each new connection is piped to that port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.target: int | None = None
        self.held: list[socket.socket] = []

    def accept_silently(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, daemon=True).start()

    def forward_to(self, port: int) -> None:
        self.target = port
        for connection in self.held:  # what the client waits on now fails, and it connects again
            connection.close()

    def close(self) -> None:
        if hasattr(self, "listener"):
            self.listener.close()
        for connection in self.held:
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)
            if self.target is not None:
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.target))
                except OSError:  # the server behind has gone (the test is ending): refuse, as a proxy would
                    connection.close()
                    continue
                self.held.append(upstream)
                for source, sink in ((connection, upstream), (upstream, connection)):
                    threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            end.close()


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def database():
    loopback = Loopback()
    yield loopback
    loopback.close()


@pytest.fixture
def web(database, tmp_path):
    """gunicorn, two workers, on a database at `database.port` (short waits, so that probes are quick)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "MONGODB_"))}
    env.update(
        MONGODB_URI=f"mongodb://127.0.0.1:{database.port}/agriqcert?directConnection=true"
        "&connectTimeoutMS=500&heartbeatFrequencyMS=500",
        SECRET_KEY="a-long-random-secret-key-for-this-test-only-7Hq2Zx9kT4vQ9xR2mZ7pL0sW8nB5",
        SITE_URL="https://agriqcert.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'accounts.sqlite3'}",
        MOCK_ISSUER_KEY_FILE=str(tmp_path / "issuer.key"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
    )
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "agriqcert.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = Lines(server.stderr)
    try:
        yield server, f"http://127.0.0.1:{port}", log
    finally:
        server.terminate()
        server.wait(30)


def healthy(url: str) -> bool:
    try:
        return get(url + "/healthz") == (200, {"status": "ok"})
    except OSError:
        return False


def assert_not_ready_naming_mongodb(url: str) -> None:
    assert get(url + "/readyz") == (
        503,
        {
            "status": "not ready",
            "checks": {
                "mongodb": "failed (ServerSelectionTimeoutError)",
                "indexes": "failed (ServerSelectionTimeoutError)",
                "accounts_database": "ok",
                "issuer": "ok",
            },
        },
    )


def test_gunicorn_serves_healthz_while_mongodb_refuses_stalls_and_then_returns(web, database):
    server, url, log = web

    wait_until(lambda: healthy(url), timeout=60, what="gunicorn to answer /healthz with MongoDB refusing")
    assert_not_ready_naming_mongodb(url)

    database.accept_silently()
    assert_not_ready_naming_mongodb(url)
    assert healthy(url) and server.poll() is None

    with RefusingMongoDB("unused", declared_indexes()) as mongodb:
        database.forward_to(mongodb.port)
        wait_until(lambda: get(url + "/readyz")[0] == 200, timeout=30, what="/readyz once MongoDB answers")
        ready = {"mongodb": "ok", "indexes": "ok", "accounts_database": "ok", "issuer": "ok"}
        assert get(url + "/readyz") == (200, {"status": "ready", "checks": ready})

    assert server.poll() is None, "the master halted"
    server.terminate()
    server.wait(30)
    output = log.text(timeout=30)
    assert "Worker failed to boot" not in output and "Shutting down: Master" in output
    assert output.count("Booting worker") == 2, "a worker was restarted"
    assert "outcome=not_ready mongodb='failed (ServerSelectionTimeoutError)'" in output  # logged, naming the check


def test_gunicorn_serves_on_a_database_missing_an_index_and_readyz_names_it(web, database):
    server, url, log = web
    present = declared_indexes()
    present["issuance_jobs"] = [index for index in present["issuance_jobs"] if index["name"] != "claim"]

    with RefusingMongoDB("unused", present) as mongodb:
        database.accept_silently()
        database.forward_to(mongodb.port)
        wait_until(lambda: healthy(url), timeout=60, what="gunicorn to answer /healthz")
        status, body = get(url + "/readyz")

    assert status == 503
    assert body["checks"] == {
        "mongodb": "ok",
        "indexes": "missing or different: issuance_jobs.claim: missing (run ensure_indexes)",
        "accounts_database": "ok",
        "issuer": "ok",
    }
    assert server.poll() is None
