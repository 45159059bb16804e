"""Running `manage.py` as a user would: a real subprocess in the project's directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.waiting import Lines

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` with `env` (default: this process's), its output captured as text."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving_the_demo(tmp_path: Path, *, unset: tuple[str, ...] = (), **env: str) -> Iterator[tuple[str, Lines]]:
    """`manage.py serve --demo 127.0.0.1:PORT` as scripts/run starts it, on the embedded store, with
    its own SQLite and issuer key (`env` added, `unset` variables removed); yields its address and
    its output once the demo rice batch is certified and the server listens."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URI", *unset}}
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MOCK_ISSUER_KEY_FILE=str(tmp_path / "issuer.key"),
        WORKER_POLL_INTERVAL_MS="200",
        **env,
    )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--demo", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = Lines(process.stdout)
    try:
        lines.wait_for("batch=DEMO-RICE-001 attempt=1 outcome=success", timeout=60)
        lines.wait_for("Quit the server with", timeout=60)
        yield f"127.0.0.1:{port}", lines
    finally:
        process.terminate()
        process.wait(10)
