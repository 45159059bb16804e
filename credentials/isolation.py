"""The costly, pure part of verifying a stranger's credential, run in worker processes limited in
CPU time and memory.

pyoxigraph and PyLD hold the GIL while they work, so a document that costs seconds freezes every
thread of the process that reads it: the pages, /healthz, the embedded issuance worker.
credentials/limits.py and credentials/blank_nodes.py refuse every costly shape known; this is the
second wall, for what nobody has thought of. A small pool of processes does the reading,
canonicalising and signature checking, each process under RLIMIT_CPU and RLIMIT_AS, each task
under a wall-clock deadline. A process that breaches is killed and replaced, its caller gets
OverBudget, and the other processes carry on. Only pure work crosses (a document, a public key,
the bundled contexts): database reads and fetches stay with the caller, whose documents may live
in its own memory (the embedded mode).

Hand-rolled rather than concurrent.futures.ProcessPoolExecutor: when one of the executor's
processes dies, as RLIMIT_CPU kills it, every task in flight fails with it, and a task past its
deadline cannot be stopped. Processes are forked from a forkserver, a fresh interpreter that has
imported the engine once: forking from it is safe whatever threads the caller runs, and a
replacement starts in milliseconds. Pools are made lazily in the process that uses them, so each
process gunicorn forks makes its own; a process's workers exit when it does (their pipe closes).
As with any forkserver or spawn start, a worker imports the main script first: it must keep its
work under `if __name__ == "__main__":`, as manage.py, gunicorn and pytest do.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import resource
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credentials import jsonld
from credentials.limits import UnreadableCredential
from credentials.proofs import verify_proof


class OverBudget(UnreadableCredential):
    """Checking the document took more CPU time, memory or time than any credential needs."""


@dataclass(frozen=True)
class Limits:
    processes: int = 2
    cpu_seconds: int = 2  # a certificate takes milliseconds
    memory_mb: int = 512  # a worker starts at ~80 MB of address space
    wall_seconds: float | None = None  # None: see deadline_seconds

    @property
    def deadline_seconds(self) -> float:
        """Wall-clock time for one task: its CPU time twice over (the machine's cores are shared)
        and a second more, unless set."""
        return self.wall_seconds if self.wall_seconds is not None else 2 * self.cpu_seconds + 1


class IsolatedPool:
    """Up to `limits.processes` worker processes, started when needed; one task each at a time."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._idle: list[_Worker] = []
        self._alive = 0
        self._available = threading.Condition()
        self._closed = False

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in a worker process (a module-level function; arguments and result are
        pickled). Its exceptions are raised here; OverBudget when the worker breached a limit."""
        worker = self._acquire()
        try:
            status, value = worker.call(function, args, self.limits)
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
            self._available.notify_all()
        for worker in idle:
            worker.stop()

    def _acquire(self) -> _Worker:
        waited_until = time.monotonic() + 3 * self.limits.deadline_seconds
        with self._available:
            while not self._idle and self._alive >= self.limits.processes:
                remaining = waited_until - time.monotonic()
                if self._closed or remaining <= 0:
                    raise OverBudget("this server is busy checking other documents; try again in a minute")
                self._available.wait(remaining)
            if self._idle:
                return self._idle.pop()
            self._alive += 1
        try:
            return _Worker(self.limits)
        except BaseException:
            self._discard(None)
            raise

    def _release(self, worker: _Worker) -> None:
        with self._available:
            if self._closed:
                self._alive -= 1
            else:
                self._idle.append(worker)
            self._available.notify()
        if self._closed:
            worker.stop()

    def _discard(self, worker: _Worker | None) -> None:
        if worker is not None:
            worker.stop()
        with self._available:
            self._alive -= 1
            self._available.notify()


class _Worker:
    def __init__(self, limits: Limits) -> None:
        context = _context()
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(theirs, limits.cpu_seconds, limits.memory_mb), daemon=True, name="agriqcert-verify"
        )
        self.process.start()
        theirs.close()

    def call(self, function: Callable[..., Any], args: tuple, limits: Limits) -> tuple[str, Any]:
        try:
            self.connection.send((function, args))
            answered = self.connection.poll(limits.deadline_seconds)
            status, value = self.connection.recv() if answered else ("deadline", None)
        except (EOFError, OSError):
            status, value = "died", None
        if status in ("ok", "error"):
            return status, value
        self.stop()
        raise OverBudget(self._breach(status, limits))

    def _breach(self, status: str, limits: Limits) -> str:
        if status == "deadline":
            return f"checking it took longer than {limits.deadline_seconds:g} s, far longer than any credential needs"
        if status == "memory" or self.process.exitcode in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS):
            return f"checking it needed more than {limits.memory_mb} MB of memory, far more than any credential needs"
        return f"checking it took more than {limits.cpu_seconds} s of CPU time, far more than any credential needs"

    def stop(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


def _serve(connection: Connection, cpu_seconds: int, memory_mb: int) -> None:
    """A worker's loop: one task at a time, each with cpu_seconds more CPU time than it has spent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _lower(resource.RLIMIT_AS, memory_mb * 1024 * 1024, hard=True)
    while True:
        try:
            function, args = connection.recv()
        except (EOFError, OSError):
            return  # the process we work for is gone
        usage = resource.getrusage(resource.RUSAGE_SELF)
        _lower(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds, hard=False)
        try:
            answer: tuple[str, Any] = ("ok", function(*args))
        except MemoryError:
            connection.send(("memory", None))
            return
        except Exception as exc:  # noqa: BLE001 - the caller raises it
            answer = ("error", exc)
        _send(connection, answer)


def _lower(kind: int, limit: int, *, hard: bool) -> None:
    """Set a soft limit (and the hard one, for good) without raising what the system allows."""
    ceiling = resource.getrlimit(kind)[1]
    if ceiling != resource.RLIM_INFINITY:
        limit = min(limit, ceiling)
    resource.setrlimit(kind, (limit, limit if hard else ceiling))


def _send(connection: Connection, answer: tuple[str, Any]) -> None:
    try:
        connection.send(answer)
    except (pickle.PicklingError, TypeError, AttributeError):
        connection.send(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # the engine is imported once, in the forkserver
    return context


# --- the pool of this process, and what public verification runs in it ------------------------

_pool: IsolatedPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def pool(limits: Limits) -> IsolatedPool:
    """This process's pool with these limits, made on first use (and again after a fork, or when
    the limits change)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid() and _pool.limits == limits:
            return _pool
        previous = _pool if _pool_pid == os.getpid() else None  # a parent's workers are not ours
        _pool, _pool_pid = IsolatedPool(limits), os.getpid()
    if previous is not None:
        previous.close()
    return _pool


def proof_checker(limits: Limits) -> Callable[[dict, Ed25519PublicKey], str]:
    """A VerificationPolicy.check_proof that checks in this process's pool."""

    def check_proof(document: dict, public_key: Ed25519PublicKey) -> str:
        raw_key = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return pool(limits).run(check_proof_here, document, raw_key, jsonld.more_contexts())

    return check_proof


def check_proof_here(document: dict, raw_key: bytes, contexts: Mapping[str, Path]) -> str:
    """In a worker: verify_proof with the caller's bundled contexts."""
    _use_contexts(dict(contexts))
    return verify_proof(document, Ed25519PublicKey.from_public_bytes(raw_key))


_contexts_in_use: dict[str, Path] | None = None


def _use_contexts(contexts: dict[str, Path]) -> None:
    global _contexts_in_use
    if contexts != _contexts_in_use:
        _contexts_in_use = contexts
        jsonld.bundle_contexts(lambda: contexts)
