"""What the isolation tests run in worker processes: module-level functions, so that a worker,
forked from a fresh interpreter, can import them by name."""

from __future__ import annotations

import os
import time
from pathlib import Path

from credentials import isolation


def burn(seconds: float) -> int:
    """Spend CPU time, as a costly document would."""
    end, turns = time.process_time() + seconds, 0
    while time.process_time() < end:
        turns += 1
    return turns


def hog(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def fail(message: str) -> None:
    raise ValueError(message)


def hold(started: str, release: str) -> str:
    """Say so (a file appears), then wait without spending CPU until someone writes to the FIFO."""
    Path(started).touch()
    with open(release, encoding="utf-8") as fifo:
        return fifo.read()


def burn_instead_of_checking(document: dict, raw_key: bytes, contexts: dict) -> str:
    """Stands in for isolation.check_proof_here: a document whose check never ends."""
    burn(600)
    return "never"


def hold_or_check(document: dict, raw_key: bytes, contexts: dict) -> str:
    """Stands in for isolation.check_proof_here: holds a document that says where to, checks the rest."""
    if "holdAt" in document:
        return hold(*document["holdAt"])
    return isolation.check_proof_here(document, raw_key, contexts)


def check_and_say_where(document: dict, raw_key: bytes, contexts: dict) -> str:
    """Stands in for isolation.check_proof_here: checks, and names the process that did."""
    return f"{isolation.check_proof_here(document, raw_key, contexts)}, checked in process {os.getpid()}"
