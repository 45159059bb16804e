"""The MongoDB connection: a real server when MONGODB_URI is set, else embedded mongomock.

mongomock is not thread-safe: its find_one_and_update is a find followed by an update, and
concurrent writes can break cursor iteration ("dictionary changed size during iteration"). The
embedded mode runs the web server and the worker's threads in one process, so every operation on
the embedded client -- including each step of iterating a cursor -- runs under one process-wide
lock. That makes find_one_and_update atomic within the process, which is all the embedded mode
promises.
"""

from __future__ import annotations

import threading
from types import MethodType
from typing import Any

import mongoengine
import mongomock
from mongomock.collection import Cursor
from mongomock.command_cursor import CommandCursor
from mongomock.filtering import filter_applies

EMBEDDED_LOCK = threading.RLock()

_WRAPPED_TYPES = (mongomock.Database, mongomock.Collection, Cursor, CommandCursor)


def _wrap(value: Any) -> Any:
    if isinstance(value, mongomock.Collection) and "_iter_documents" not in vars(value):
        value._iter_documents = MethodType(_iter_documents_by_id, value)
    if isinstance(value, _WRAPPED_TYPES):
        return _Locked(value)
    return value


_scan_documents = mongomock.Collection._iter_documents


def _iter_documents_by_id(collection: mongomock.Collection, filter: Any) -> Any:
    """mongomock scans the whole collection for every query; look a document up by _id directly.

    Every load, claim-by-id, fenced update and unique check of a job starts from its _id, so this
    keeps the embedded mode's cost per job flat as collections grow. Other filters still scan.
    """
    if isinstance(filter, dict) and "_id" in filter and not isinstance(filter["_id"], dict | list):
        document = collection._store._documents.get(filter["_id"])
        if document is None:
            return iter(())
        rest = {key: value for key, value in filter.items() if key != "_id"}
        return iter([document] if not rest or filter_applies(rest, document) else [])
    return _scan_documents(collection, filter)


class _Locked:
    """A proxy that runs every call on a mongomock object under EMBEDDED_LOCK."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute) or isinstance(attribute, _WRAPPED_TYPES):
            return _wrap(attribute)

        def locked(*args: Any, **kwargs: Any) -> Any:
            with EMBEDDED_LOCK:
                result = attribute(*args, **kwargs)
            # Cursor methods such as sort() and limit() return the cursor itself.
            return self if result is self._target else _wrap(result)

        return locked

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __getitem__(self, key: Any) -> Any:
        with EMBEDDED_LOCK:
            return _wrap(self._target[key])

    def __iter__(self) -> _Locked:
        return self if isinstance(self._target, (Cursor, CommandCursor)) else _Locked(iter(self._target))

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(mongomock.MongoClient(*args, **kwargs))


def connect(uri: str = "", database: str = "agriqcert") -> None:
    """Connect MongoEngine's default alias; an empty uri means the embedded mode."""
    mongoengine.disconnect()
    options = {"uuidRepresentation": "standard", "tz_aware": True}
    if uri:
        mongoengine.connect(host=uri, **options)
        return
    mongoengine.connect(database, host="mongodb://localhost", mongo_client_class=LockedMongoClient, **options)
    # An embedded database is new at every start, so its unique and claim indexes must exist
    # before the first write.
    ensure_indexes()


def document_classes() -> list[type[mongoengine.Document]]:
    from certificates.models import Batch, Certificate, Inspection, StatusList
    from issuance.models import IssuanceJob, WorkerHeartbeat
    from notifications.models import Notification

    return [Batch, Inspection, Certificate, StatusList, IssuanceJob, WorkerHeartbeat, Notification]


def ensure_indexes() -> list[str]:
    """Create every index the documents declare; safe to run any number of times."""
    created = []
    for document in document_classes():
        document.ensure_indexes()
        created.append(document._get_collection_name())
    return created
