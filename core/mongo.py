"""The MongoDB connection and the documents that live in it.

A real server when MONGODB_URI is set, else the embedded store (core/embedded.py, sped up by
core/embedded_speedups.py unless EMBEDDED_SPEEDUPS is false). Each app registers its documents in
its AppConfig.ready(); `ensure_indexes` builds the indexes they declare (core/indexes.py).

Every wait on a server is bounded. pymongo's defaults wait 30 s to find a primary and, for an answer
or a majority's acknowledgement, forever: a stalled replica set would hold every web worker and
every claim. Here a primary must be found within SERVER_SELECTION_TIMEOUT_MS and each operation
(its retry included) answered within OPERATION_TIMEOUT_MS (CSOT, MongoDB's client-side operation
timeout), unless the URI sets its own.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import mongoengine
from django.conf import settings
from pymongo.errors import ConnectionFailure, PyMongoError

from core import indexes

# An election takes about 10 to 12 s; a page should not wait that long, and a worker retries anyway.
SERVER_SELECTION_TIMEOUT_MS = 5_000
# Well inside gunicorn's 30 s request timeout and a claim's 120 s lease, well above any query the
# code makes (each is served by an index; a cursor's every batch gets the bound anew).
OPERATION_TIMEOUT_MS = 10_000
# An operator who set any of these chose how long to wait: no timeoutMS is added to theirs.
_WAIT_OPTIONS = frozenset({"timeoutms", "sockettimeoutms", "wtimeoutms"})

_embedded = False


def client_options(uri: str) -> dict:
    """MongoClient's keyword options for `uri`. Writes acknowledged by a majority survive a failover
    (w=1 ones can be rolled back: a claim or a certificate lost); reads from the primary see this
    process's own writes (core.environment refuses a URI asking otherwise). The bounded waits are
    defaults: the same option in the URI wins (pymongo lets keywords override the URI)."""
    given = {name.lower() for name, _ in parse_qsl(urlsplit(uri).query, keep_blank_values=True)}
    options = {
        "uuidRepresentation": "standard",
        "tz_aware": True,
        "w": "majority",
        "readPreference": "primary",
        "retryWrites": True,
        "retryReads": True,
    }
    if "serverselectiontimeoutms" not in given:
        options["serverSelectionTimeoutMS"] = SERVER_SELECTION_TIMEOUT_MS
    if not given & _WAIT_OPTIONS:
        options["timeoutMS"] = OPERATION_TIMEOUT_MS
    return options


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database did not answer in time (no primary, a network error, a
    timeout of any kind): an outage to wait out, not a bug. A write it interrupted may have been
    applied."""
    return isinstance(exc, ConnectionFailure) or (isinstance(exc, PyMongoError) and exc.timeout)


def connect(uri: str = "", database: str = "agriqcert") -> None:
    """Connect MongoEngine's default alias; an empty uri means the embedded mode."""
    global _embedded
    mongoengine.disconnect()
    _embedded = not uri
    if uri:
        mongoengine.connect(host=uri, **client_options(uri))
        return
    from core import embedded, embedded_speedups  # only the embedded mode loads mongomock

    if settings.EMBEDDED_SPEEDUPS:
        embedded_speedups.connect(database)
    else:
        embedded.connect(database)
    # An embedded database is new at every start, so its unique and claim indexes must exist
    # before the first write.
    for document in indexes.documents():
        indexes.create_all(document)


def register(*documents: type[mongoengine.Document]) -> None:
    """Called by each app for its documents; the embedded database gets their indexes at once."""
    for document in documents:
        if indexes.track(document) and _embedded:
            indexes.create_all(document)


def document_classes() -> list[type[mongoengine.Document]]:
    return indexes.documents()


def is_embedded() -> bool:
    return _embedded
