"""Rate limits hold across processes: gunicorn with three workers, 240 verifications from one
address, and exactly the promised 60 pass — on the database cache (the default, a table that
`migrate` makes) and on Redis (CACHE_URL, a real redis-server started here).

Before, each worker counted alone: 180 of the 240 passed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import pytest

from tests.commands import ROOT, free_port, manage
from tests.waiting import Lines, wait_until

REQUESTS, PROMISED, WORKERS = 240, 60, 3
PROCESSES, INCREMENTS = 4, 300
# Each process waits for the others before counting, so that their increments interleave.
COUNTING = """
import os, time
from pathlib import Path
from core.shared_cache import DatabaseCache
folder = Path(os.environ["COUNTING_FOLDER"])
cache = DatabaseCache("agriqcert_cache", {})
cache.add("hits", 0, 600)
(folder / f"ready-{time.monotonic_ns()}").touch()
while not (folder / "go").exists():
    time.sleep(0.005)
for _ in range(%d):
    cache.incr("hits")
print("counted", cache.get("hits"))
"""
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def verify(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/api/v1/verify/", json.dumps({"qr": "x"}), {"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def verifications_through_gunicorn(env: dict) -> tuple[Counter, set[str]]:
    """The answers to REQUESTS verifications sent six at a time, and the worker pids that answered."""
    port = free_port()
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(WORKERS), "EMBEDDED_WORKER": "false"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--access-logformat",
         "pid=%(p)s path=%(U)s status=%(s)s", "agriqcert.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    access, errors = Lines(server.stdout), Lines(server.stderr)
    try:
        wait_until(lambda: errors.wait_for("Booting worker", timeout=30).count("Booting worker") == WORKERS, timeout=30,
                   what=f"{WORKERS} gunicorn workers")  # fmt: skip
        wait_until(lambda: answers(port), timeout=30, what="gunicorn to answer /healthz")
        with ThreadPoolExecutor(6) as pool:
            codes = Counter(pool.map(lambda _: verify(port), range(REQUESTS)))
        log = access.wait_for(f"status={429 if codes[429] else 400}", timeout=10)
    finally:
        server.terminate()
        server.wait(30)
    pids = set(re.findall(r"pid=<(\d+)> path=/api/v1/verify/", log))
    return codes, pids


@pytest.fixture
def app_env(tmp_path) -> dict:
    """A deployment's environment with its own SQL database, migrated as the README says."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "MONGODB_", "CACHE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrated = manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    return env


def start_counting(env: dict) -> subprocess.Popen:
    command = [sys.executable, "manage.py", "shell", "-c", COUNTING % INCREMENTS]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_increments_from_several_processes_at_once_are_never_lost(app_env, tmp_path):
    """Django's own database cache reads, adds and writes back: four processes counting 300 each
    ended at 767 of 1200 in one run."""
    counters = [start_counting({**app_env, "COUNTING_FOLDER": str(tmp_path)}) for _ in range(PROCESSES)]
    try:
        wait_until(
            lambda: len(list(tmp_path.glob("ready-*"))) == PROCESSES or any(c.poll() is not None for c in counters),
            timeout=60,
            what="the counting processes",
        )
        (tmp_path / "go").touch()
        outputs = [counter.communicate(timeout=120) for counter in counters]
    finally:
        for counter in counters:
            counter.kill()
    finals = [int(found.group(1)) for out, _ in outputs if (found := re.search(r"counted (\d+)", out))]

    assert max(finals, default=0) == PROCESSES * INCREMENTS, [error for _, error in outputs]


@pytest.fixture
def redis_url(tmp_path):
    assert os.access(REDIS_SERVER, os.X_OK), (
        "redis-server is missing: install Debian's redis-server (scripts/test does)"
    )
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        Lines(server.stdout).wait_for("Ready to accept connections", timeout=30)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(30)


def test_three_workers_on_the_database_cache_let_exactly_the_promised_verifications_through(app_env):
    codes, pids = verifications_through_gunicorn(app_env)

    assert codes == {400: PROMISED, 429: REQUESTS - PROMISED}, "400: within the budget (the QR text is nonsense)"
    assert len(pids) > 1, "the requests were spread over several workers"


def test_three_workers_on_redis_let_exactly_the_promised_verifications_through(app_env, redis_url):
    codes, pids = verifications_through_gunicorn({**app_env, "CACHE_URL": redis_url})

    assert codes == {400: PROMISED, 429: REQUESTS - PROMISED}
    assert len(pids) > 1


@pytest.mark.django_db
def test_a_window_ending_within_the_current_second_can_be_restarted(monkeypatch):
    """In the last second of a window, `incr` already calls the counter gone; `add` must then let a
    new window start. Before, `add` still saw it and the verification failed with a 500."""
    from datetime import datetime, timedelta

    import django.core.cache.backends.db as django_db_cache
    from django.core.cache import caches

    import core.shared_cache
    from core.rate_limits import RateLimit

    started = datetime(2026, 12, 3, 20, 0, 33, tzinfo=UTC)
    clock = {"now": started}
    for module in (core.shared_cache, django_db_cache):
        monkeypatch.setattr(module, "now" if module is core.shared_cache else "tz_now", lambda: clock["now"])
    monkeypatch.setattr("core.rate_limits.utcnow", lambda: clock["now"])
    monkeypatch.setattr(caches["default"], "get_backend_timeout", lambda timeout: clock["now"].timestamp() + timeout)
    limit = RateLimit("boundary", limit=2, period=60)

    assert [limit.hit("192.0.2.7").allowed for _ in range(3)] == [True, True, False]
    clock["now"] = started + timedelta(seconds=60, microseconds=900_000)
    assert limit.hit("192.0.2.7").allowed, "a new window starts once the old one has ended"
    assert limit.hit("192.0.2.7").allowed
    assert not limit.hit("192.0.2.7").allowed
