"""The embedded store: mongomock, serialised so that the web server's and the worker's threads can share it.

mongomock is not thread-safe: its find_one_and_update is a find followed by an update, and
concurrent writes can break cursor iteration ("dictionary changed size during iteration"). The
embedded mode runs the web server and the worker's threads in one process, so every operation on
the embedded client -- including each step of iterating a cursor -- runs under one process-wide
lock. That makes find_one_and_update atomic within the process, which is all the embedded mode
promises.

The lock is always on. Where mongomock scans or copies whole collections, core/embedded_speedups.py
takes some calls over (EMBEDDED_SPEEDUPS, on by default); they run under this same lock.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import mongoengine
import mongomock
from mongomock.collection import Cursor
from mongomock.command_cursor import CommandCursor

EMBEDDED_LOCK = threading.RLock()

_WRAPPED_TYPES = (mongomock.Database, mongomock.Collection, Cursor, CommandCursor)


class MongomockCalls:
    """The calls the speed-ups take over, made as mongomock makes them (always under the lock)."""

    def prepare(self, value: Any) -> None:
        """Called with every database, collection and cursor before the client hands it out."""

    def find_one_and_update(self, collection: mongomock.Collection, *args: Any, **kwargs: Any) -> Any:
        return collection.find_one_and_update(*args, **kwargs)

    def aggregate(self, collection: mongomock.Collection, *args: Any, **kwargs: Any) -> Any:
        return collection.aggregate(*args, **kwargs)


class _Locked:
    """A proxy that runs every call on a mongomock object under EMBEDDED_LOCK."""

    __slots__ = ("_target", "_calls")

    def __init__(self, target: Any, calls: MongomockCalls) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_calls", calls)

    def _wrap(self, value: Any) -> Any:
        if not isinstance(value, _WRAPPED_TYPES):
            return value
        self._calls.prepare(value)
        return _Locked(value, self._calls)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute) or isinstance(attribute, _WRAPPED_TYPES):
            return self._wrap(attribute)

        def locked(*args: Any, **kwargs: Any) -> Any:
            with EMBEDDED_LOCK:
                result = attribute(*args, **kwargs)
            # Cursor methods such as sort() and limit() return the cursor itself.
            return self if result is self._target else self._wrap(result)

        return locked

    def find_one_and_update(self, *args: Any, **kwargs: Any) -> Any:
        with EMBEDDED_LOCK:
            return self._calls.find_one_and_update(self._target, *args, **kwargs)

    def aggregate(self, *args: Any, **kwargs: Any) -> Any:
        with EMBEDDED_LOCK:
            return self._wrap(self._calls.aggregate(self._target, *args, **kwargs))

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __getitem__(self, key: Any) -> Any:
        with EMBEDDED_LOCK:
            return self._wrap(self._target[key])

    def __iter__(self) -> _Locked:
        if isinstance(self._target, (Cursor, CommandCursor)):
            return self
        return _Locked(iter(self._target), self._calls)

    def __next__(self) -> Any:
        with EMBEDDED_LOCK:
            return next(self._target)

    def __enter__(self) -> _Locked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __eq__(self, other: object) -> bool:
        return self._target == (other._target if isinstance(other, _Locked) else other)

    def __hash__(self) -> int:
        return hash(self._target)

    def __repr__(self) -> str:
        return f"Locked({self._target!r})"


class LockedMongoClient(_Locked):
    """mongomock.MongoClient whose databases, collections and cursors are serialised."""

    calls: ClassVar[MongomockCalls] = MongomockCalls()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(mongomock.MongoClient(*args, **kwargs), self.calls)


def connect(database: str, client_class: type[LockedMongoClient] = LockedMongoClient) -> None:
    """Connect MongoEngine's default alias to a new, empty embedded database."""
    mongoengine.connect(
        database,
        host="mongodb://localhost",
        mongo_client_class=client_class,
        uuidRepresentation="standard",
        tz_aware=True,
    )
