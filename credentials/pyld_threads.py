"""PyLD's shared caches, made safe for threads (the only PyLD internals this project touches).

PyLD keeps processed contexts in cachetools LRUCaches that are not thread-safe — two at module
level, and one inside every cached ResolvedContext, which threads share through the first — and
the worker's concurrent jobs corrupted them ("KeyError" on eviction, "jsonld.NormalizeError"). A
process-wide lock around all of canonicalisation fixed that but made every signature wait for every
other — a stranger's slow verification stalled the worker and the pages. Here only the cache operations are
serialised (microseconds), and canonicalisations run side by side.

Written for PyLD 3.3.0 with cachetools 8: `make_thread_safe()` refuses any other version, or a
PyLD whose caches are not where they were, at start-up.
"""

from __future__ import annotations

import importlib.metadata
import threading
from typing import Any

from cachetools import LRUCache
from pyld import jsonld, resolved_context

PATCHED_VERSION = "3.3.0"


class UnknownPyLD(RuntimeError):
    """The installed PyLD is not the one these patches were written for (refused at start-up)."""


CACHES = ("_resolved_context_cache", "_inverse_context_cache")


class LockedLRUCache(LRUCache):
    """An LRUCache whose reads and writes (and the evictions writes cause) hold one lock."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self._lock = threading.RLock()

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            super().__delitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            return super().get(key, default)


def make_thread_safe() -> None:
    installed = importlib.metadata.version("PyLD")
    if installed != PATCHED_VERSION:
        raise UnknownPyLD(
            f"credentials/pyld_threads.py replaces PyLD {PATCHED_VERSION}'s shared caches, but PyLD {installed} is "
            f"installed: install PyLD=={PATCHED_VERSION} (requirements.txt) or re-check the patch against it."
        )
    for name in CACHES:
        cache = getattr(jsonld, name, None)
        if isinstance(cache, LockedLRUCache):
            continue
        if not isinstance(cache, LRUCache):
            raise UnknownPyLD(f"PyLD {installed} has no LRUCache jsonld.{name} for pyld_threads.py to replace")
        setattr(jsonld, name, LockedLRUCache(maxsize=cache.maxsize))
    # ResolvedContext.__init__ builds its per-context cache from this module-level name.
    if getattr(resolved_context, "LRUCache", None) not in (LRUCache, LockedLRUCache):
        raise UnknownPyLD(f"PyLD {installed} no longer builds ResolvedContext caches from LRUCache")
    resolved_context.LRUCache = LockedLRUCache
