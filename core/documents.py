"""Finding documents for a request: the one place an id from a URL is parsed; a list's references at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from django.http import Http404


def object_id(value: object) -> ObjectId | None:
    """`value` as an ObjectId, or None when it cannot be one (so it matches nothing)."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def get_document_or_404(queryset: Any, message: str, *, pk: object) -> Any:
    """The document with id `pk` in `queryset`; Http404(message) when there is none or `pk` is no id."""
    key = object_id(pk)
    document = queryset.filter(pk=key).first() if key is not None else None
    if document is None:
        raise Http404(message)
    return document


def prefix_range(field: str, prefix: str) -> dict:
    """A filter for values of `field` starting with `prefix`, as an index range.

    MongoEngine's startswith sends a regex with the `u` flag, for which MongoDB derives no index
    bounds (MongoEngine issue #2512): every prefix search would scan the collection."""
    bounds = prefix_bounds(prefix)
    return {f"{field}__gte": bounds["$gte"], f"{field}__lt": bounds["$lt"]}


def prefix_bounds(prefix: str) -> dict:
    """The range of strings starting with `prefix`, as MongoDB operators (for an $elemMatch)."""
    return {"$gte": prefix, "$lt": prefix + "\U0010ffff"}


def load_references(documents: Iterable[Any], name: str) -> list[Any]:
    """`documents` with what their ReferenceField `name` refers to loaded by one `$in` query.

    MongoEngine loads a reference on first access, one round trip per document: a list page that
    shows a field of each row's batch would cost a query per row."""
    documents = list(documents)
    if not documents:
        return documents
    field = documents[0]._fields[name]

    def referenced_id(document: Any) -> Any:
        # to_mongo gives the stored id without loading the referenced document.
        return document.to_mongo(fields=[name]).get(field.db_field)

    ids = {referenced_id(document) for document in documents} - {None}
    found = {target.pk: target for target in field.document_type.objects(pk__in=list(ids))} if ids else {}
    for document in documents:
        target = found.get(referenced_id(document))
        if target is not None:
            setattr(document, name, target)
    return documents
