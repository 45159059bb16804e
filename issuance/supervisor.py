"""`run_issuance_worker --processes N`: N worker processes under one supervisor, as gunicorn's
arbiter or django-q2's cluster run theirs.

One Python process tops out at 1000 ÷ (CPU ms per job) jobs a second whatever its concurrency (the
GIL); N processes on N cores lift that. Each child is an ordinary worker — its own id, heartbeat,
leases — so the queue's rules are unchanged. The supervisor

- restarts a child that dies (after a pause that grows while children keep dying at once),
- passes SIGTERM/SIGINT on and waits for the children's grace periods; a second signal makes
  them exit at once (their leases bring unfinished jobs back),
- prints one summary for all children at exit.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.environment import Bounds, whole_number

log = logging.getLogger(__name__)

SUMMARY_PREFIX = "Worker stopped: "
RESTART_PAUSE_MIN, RESTART_PAUSE_MAX = 1.0, 30.0
STABLE_AFTER_SECONDS = 30.0  # a child that lived this long resets the restart pause
KILL_AFTER_GRACE_SECONDS = 10.0  # a child still alive this long after its grace period is killed
PROCESSES = Bounds(1, 1024)


def processes_from(value: str, cpu_count: Callable[[], int | None] = os.cpu_count) -> int:
    """`N` or `auto` (one per core this process may run on)."""
    if value == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, cpu_count() or 1)
    try:
        return whole_number(value, PROCESSES)
    except ValueError:
        raise ValueError(f"--processes must be a whole number {PROCESSES} or 'auto' (got {value!r})") from None


@dataclass
class Child:
    slot: int
    process: subprocess.Popen
    started: float
    summary: Counter[str] = field(default_factory=Counter)
    reader: threading.Thread | None = None


class Supervisor:
    def __init__(
        self,
        command: Sequence[str],
        processes: int,
        grace_seconds: float,
        *,
        once: bool = False,
        per_slot: Callable[[int], list[str]] = lambda slot: [],
    ) -> None:
        self.command = list(command)
        self.per_slot = per_slot  # arguments for one child, e.g. its own metrics port
        self.processes = processes
        self.grace_seconds = grace_seconds
        self.once = once
        self.restarts = 0
        self.totals: Counter[str] = Counter()
        self._children: dict[int, Child] = {}
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.RLock()  # the signal handler may run while the main thread holds it

    # -- signals --------------------------------------------------------------------------------

    def on_signal(self, signum: int, frame: object = None) -> None:
        self._stopping.set()
        self._wake.set()
        # The first signal asks each child to finish its jobs; a second makes them exit now.
        self._send(signal.SIGTERM)

    def _send(self, signum: int) -> None:
        with self._lock:
            children = list(self._children.values())
        for child in children:
            if child.process.poll() is None:
                try:
                    child.process.send_signal(signum)
                except ProcessLookupError:
                    pass

    # -- running --------------------------------------------------------------------------------

    def run(self) -> dict:
        pauses = {slot: RESTART_PAUSE_MIN for slot in range(self.processes)}
        due: dict[int, float] = {slot: 0.0 for slot in range(self.processes)}
        log.info("supervisor=%s outcome=started processes=%d", os.getpid(), self.processes)
        stop_deadline: float | None = None
        while True:
            now = time.monotonic()
            if not self._stopping.is_set():
                for slot, at in list(due.items()):
                    if now >= at:
                        del due[slot]
                        self._start(slot)
            self._reap(now, pauses, due)
            if not self._children and (self._stopping.is_set() or (self.once and not due)):
                break
            if self._stopping.is_set():
                stop_deadline = stop_deadline or now + self.grace_seconds + KILL_AFTER_GRACE_SECONDS
                if now > stop_deadline:
                    self._send(signal.SIGKILL)
            self._wake.wait(0.2)  # a signal wakes it at once; children's exits are polled
            self._wake.clear()
        summary = {
            key: self.totals[key] for key in ("processed", "success", "retry", "gave_up", "lease_lost", "released")
        }
        summary["processes"] = self.processes
        summary["restarts"] = self.restarts
        log.info(
            "supervisor=%s outcome=stopped %s",
            os.getpid(),
            " ".join(f"{key}={value}" for key, value in summary.items()),
        )
        return summary

    def _reap(self, now: float, pauses: dict[int, float], due: dict[int, float]) -> None:
        """Collect exited children; schedule a restart for each, backing off while they keep failing."""
        for slot, child in list(self._children.items()):
            code = child.process.poll()
            if code is None:
                continue
            self._finish(child)
            del self._children[slot]
            lived = now - child.started
            if self._stopping.is_set() or (self.once and code == 0):
                continue
            pauses[slot] = (
                RESTART_PAUSE_MIN if lived >= STABLE_AFTER_SECONDS else min(RESTART_PAUSE_MAX, pauses[slot] * 2)
            )
            self.restarts += 1
            log.warning(
                "supervisor=%s worker_pid=%s outcome=exited code=%s lived_s=%.1f restart_in_s=%.1f",
                os.getpid(),
                child.process.pid,
                code,
                lived,
                pauses[slot],
            )
            due[slot] = now + pauses[slot]

    def _start(self, slot: int) -> None:
        process = subprocess.Popen(
            [*self.command, *self.per_slot(slot)], stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        child = Child(slot, process, time.monotonic())
        child.reader = threading.Thread(target=self._read, args=(child,), name=f"worker-{slot}-stdout", daemon=True)
        child.reader.start()
        with self._lock:
            self._children[slot] = child
        log.info("supervisor=%s worker_pid=%s slot=%d outcome=started", os.getpid(), process.pid, slot)

    def _read(self, child: Child) -> None:
        """A child's stdout: its summary line is kept, the rest passed through."""
        for line in child.process.stdout:
            if line.startswith(SUMMARY_PREFIX):
                for pair in line[len(SUMMARY_PREFIX) :].strip().split(", "):
                    key, _, value = pair.partition("=")
                    if value.isdigit():
                        child.summary[key] = int(value)
            else:
                print(line, end="", flush=True)

    def _finish(self, child: Child) -> None:
        if child.reader is not None:
            child.reader.join(5)
        self.totals.update(child.summary)
