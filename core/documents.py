"""Finding one document for a request: the one place an id from a URL is parsed."""

from __future__ import annotations

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
    return {f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"}
