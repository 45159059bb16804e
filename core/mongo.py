"""The MongoDB connection and the documents that live in it.

A real server when MONGODB_URI is set, else the embedded store (core/embedded.py). Each app
registers its documents in its AppConfig.ready(); `ensure_indexes()` builds what they declare.
"""

from __future__ import annotations

import mongoengine

_documents: list[type[mongoengine.Document]] = []
_embedded = False


def connect(uri: str = "", database: str = "agriqcert") -> None:
    """Connect MongoEngine's default alias; an empty uri means the embedded mode."""
    global _embedded
    mongoengine.disconnect()
    _embedded = not uri
    if uri:
        mongoengine.connect(host=uri, uuidRepresentation="standard", tz_aware=True)
        return
    from core import embedded

    embedded.connect(database)
    # An embedded database is new at every start, so its unique and claim indexes must exist
    # before the first write.
    ensure_indexes()


def register(*documents: type[mongoengine.Document]) -> None:
    """Called by each app for its documents; the embedded database gets their indexes at once."""
    for document in documents:
        if document not in _documents:
            _documents.append(document)
            if _embedded:
                document.ensure_indexes()


def document_classes() -> list[type[mongoengine.Document]]:
    return list(_documents)


def ensure_indexes() -> list[str]:
    """Create every index the registered documents declare; safe to run any number of times."""
    created = []
    for document in _documents:
        document.ensure_indexes()
        created.append(document._get_collection_name())
    return created
