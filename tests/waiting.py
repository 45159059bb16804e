"""Waiting for something to happen in another thread or process: on the event itself, never a fixed sleep."""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable
from typing import IO


def wait_until(condition: Callable[[], object], *, timeout: float = 10.0, what: str = "the condition") -> None:
    """Return as soon as `condition()` holds; fail the test if it has not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        pause.wait(0.01)


def wait_for_line(stream: IO[str], text: str, *, timeout: float = 10.0) -> list[str]:
    """Read `stream` (a subprocess pipe) until a line containing `text`; returns the lines read."""
    deadline = time.monotonic() + timeout
    lines = []
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"timed out after {timeout} s waiting for {text!r}; read {lines}"
        ready, _, _ = select.select([stream], [], [], left)
        if ready:
            line = stream.readline()
            assert line, f"the stream closed before {text!r}; read {lines}"
            lines.append(line)
            if text in line:
                return lines
