"""Waiting for something to happen in another thread or process: on the event itself, never a fixed sleep."""

from __future__ import annotations

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


class Lines:
    """Collects a subprocess pipe's lines in a thread, so a test can wait for one to appear.

    (select() on a buffered pipe misses lines that readline() already pulled into the buffer.)
    """

    def __init__(self, stream: IO[str]) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def wait_for(self, text: str, *, timeout: float = 10.0) -> str:
        """Return everything read so far once a line contains `text`."""
        with self._changed:
            found = self._changed.wait_for(lambda: self._closed or any(text in line for line in self._lines), timeout)
            read = "".join(self._lines)
        assert found and text in read, f"no line with {text!r} within {timeout} s; read {read!r}"
        return read

    def text(self, *, timeout: float = 10.0) -> str:
        """Everything, once the stream has closed."""
        with self._changed:
            assert self._changed.wait_for(lambda: self._closed, timeout), "the stream did not close"
            return "".join(self._lines)
