"""The MongoDB connection and the documents that live in it.

A real server when MONGODB_URI is set, else the embedded store (core/embedded.py, sped up by
core/embedded_speedups.py unless EMBEDDED_SPEEDUPS is false). Each app registers its documents in
its AppConfig.ready(); `ensure_indexes` builds the indexes they declare (core/indexes.py).
"""

from __future__ import annotations

import mongoengine
from django.conf import settings

from core import indexes

_embedded = False


def connect(uri: str = "", database: str = "agriqcert") -> None:
    """Connect MongoEngine's default alias; an empty uri means the embedded mode."""
    global _embedded
    mongoengine.disconnect()
    _embedded = not uri
    if uri:
        # Writes acknowledged by a majority survive a failover (w=1 ones can be rolled back: a
        # claim or a certificate lost); reads from the primary see this process's own writes.
        mongoengine.connect(
            host=uri,
            uuidRepresentation="standard",
            tz_aware=True,
            w="majority",
            readPreference="primary",
            retryWrites=True,
            retryReads=True,
        )
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
