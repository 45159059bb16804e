"""Speed-ups for the embedded store, where mongomock scans or copies every document of a collection.

On by default (EMBEDDED_SPEEDUPS); core/embedded.py's lock does not depend on them, and CI runs
the queue's and the worker's tests once without them, so the suite does not only test this
module's query matcher. tests/test_embedded_store_patches.py measures each one (documents visited
or copied per call) against a bare mongomock client. They were written for mongomock 4.3.0's
internals: `check_mongomock()` refuses any other version at start-up rather than patching blind.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime
from itertools import islice
from types import MethodType
from typing import Any
from uuid import UUID

import mongomock
from bson import ObjectId
from django.core.exceptions import ImproperlyConfigured
from mongomock import DuplicateKeyError
from mongomock import aggregate as mongomock_aggregate
from mongomock import store as mongomock_store
from mongomock.collection import Cursor
from mongomock.filtering import filter_applies, resolve_sort_key
from mongomock.helpers import make_datetime_timezone_aware_in_document, patch_datetime_awareness_in_document

from core import embedded

PATCHED_VERSION = "4.3.0"
# The internals patched below; a release that renames or drops one must be re-read first.
PATCHED_INTERNALS = (
    (mongomock.Collection, "_iter_documents"),
    (mongomock.Collection, "_ensure_uniques"),
    (mongomock.Collection, "_store"),
    (Cursor, "_compute_results"),
    (Cursor, "_factory"),
    (mongomock_store.CollectionStore, "_remove_expired_documents"),
    (mongomock_store.CollectionStore, "_documents"),
    (mongomock_aggregate, "process_pipeline"),
)


def check_mongomock() -> None:
    """Refuse to run the embedded mode on a mongomock whose internals these patches do not know."""
    installed = getattr(mongomock, "__version__", "unknown")
    if installed != PATCHED_VERSION:
        raise ImproperlyConfigured(
            f"The embedded mode patches mongomock {PATCHED_VERSION}'s internals, but mongomock {installed} is "
            f"installed: install mongomock=={PATCHED_VERSION} (requirements.txt), re-check core/embedded_speedups.py "
            "against the new release, or run without the speed-ups (EMBEDDED_SPEEDUPS=false)."
        )
    probe = mongomock.MongoClient()["probe"]["probe"]
    missing = [
        f"{owner.__name__}.{name}"
        for owner, name in PATCHED_INTERNALS
        if not hasattr(owner, name) and not hasattr(_instance_of(owner, probe), name)
    ]
    if missing:
        raise ImproperlyConfigured(
            f"mongomock {installed} lacks the internals core/embedded_speedups.py patches: {missing} "
            "(EMBEDDED_SPEEDUPS=false runs without them)"
        )


def _instance_of(owner: type, collection: mongomock.Collection) -> Any:
    if owner is mongomock.Collection:
        return collection
    if owner is Cursor:
        return collection.find()
    if owner is mongomock_aggregate:
        return owner
    return collection._store


_scan_documents = mongomock.Collection._iter_documents
_original_ensure_uniques = mongomock.Collection._ensure_uniques


def _keep_documents() -> None:
    return None


_compute_all = Cursor._compute_results


def _compute_page(cursor: Cursor, with_limit_and_skip: bool = False) -> list:
    """mongomock copies every matching document before applying skip and limit, and re-slices
    the whole result on every next() (quadratic for a long cursor). Here a page of 50 out of
    100,000 jobs copies only its 50, and a cursor's results are sliced once."""
    if not with_limit_and_skip:
        return _compute_all(cursor, with_limit_and_skip)
    key = (cursor._factory, cursor._skip, cursor._limit)
    cached = vars(cursor).get("_page")
    if cached is None or cached[0] != key:
        if cursor._limit:
            start = cursor._skip or 0
            documents = islice(cursor._factory(), start, start + abs(cursor._limit))
            if cursor.collection.codec_options.tz_aware:
                page = [make_datetime_timezone_aware_in_document(document) for document in documents]
            else:
                page = list(documents)
        else:
            page = _compute_all(cursor, with_limit_and_skip)
        cursor._page = cached = (key, page)
    return cached[1]


def _first_match(collection: mongomock.Collection, filter: Any, sort: list[tuple[str, int]]) -> Any:
    # Stored datetimes are naive UTC, as mongomock's own find() assumes after patching the filter.
    filter = patch_datetime_awareness_in_document(filter)
    tests = _simple_tests(filter) if collection._store._documents else None
    wanted = _statuses_in(filter) if tests is not None else None
    if wanted is not None and len(sort) == 1 and sort[0][1] > 0 and "." not in sort[0][0]:
        # The queue's claim: the due job first, in the order of its sort field, not a scan of the backlog.
        return _status_map(collection).first_in_order(wanted, sort[0][0], tests, filter)
    matches = _scan(collection, filter)
    if len(sort) == 1:  # one pass, no sorting
        key, direction = sort[0]
        pick = min if direction > 0 else max
        first = pick(matches, key=lambda document: resolve_sort_key(key, document), default=None)
        return first["_id"] if first is not None else None
    matches = list(matches)
    for key, direction in reversed(sort):
        matches.sort(key=lambda document: resolve_sort_key(key, document), reverse=direction < 0)
    return matches[0]["_id"] if matches else None


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
    field = _unique_field_in(collection, filter)
    values = _values_of(collection, field) if field is not None else None
    if values is not None:
        documents = collection._store._documents
        candidates = (documents.get(i) for i in list(values.get(filter[field], ())))
        return iter([d for d in candidates if d is not None and filter_applies(filter, d)])
    return _scan(collection, filter)


def _scan(collection: mongomock.Collection, filter: Any) -> Any:
    tests = _simple_tests(filter) if collection._store._documents else None
    if tests is None:
        return _scan_documents(collection, filter)
    wanted = _statuses_in(filter)
    if wanted is None:
        documents = list(collection._store._documents.values())
    else:
        documents = _status_map(collection).documents_with(wanted)
    return (d for d in documents if _passes(tests, filter, d))


# Finished jobs pile up (they are kept for 30 days) while the queue's claim and lease recovery
# ask only for live statuses. A map status -> ids, kept current by every write, lets a query on
# `status` visit only the documents that can match, in the order a scan would have.

_UNHASHABLE = object()


def _statuses_in(filter: dict) -> list | None:
    condition = filter.get("status", _MISSING)
    if isinstance(condition, _SCALARS):
        return [condition]
    if isinstance(condition, dict) and set(condition) == {"$in"} and isinstance(condition["$in"], list):
        return condition["$in"]
    return None


class _StatusMap:
    def __init__(self, documents: dict) -> None:
        self.documents = documents
        self.ids: dict[Any, set] = {}
        self.of: dict[Any, tuple[Any, int]] = {}  # id -> (status, position in the scan order)
        self.next_position = 0
        # (status, field) -> heap of (value, position, id), built on first use and pushed to by every
        # write after; an entry whose document has since changed is dropped when it reaches the top.
        self.ordered: dict[tuple[Any, str], list] = {}
        for document in documents.values():
            self.track(document)

    def track(self, document: dict) -> None:
        document_id, value = document["_id"], document.get("status")
        key = value if _hashable(value) else _UNHASHABLE  # arrays: visited by every status query
        self._order(document, key)
        known = self.of.get(document_id)
        if known is not None and known[0] == key:
            return
        if known is not None:
            self.ids.get(known[0], set()).discard(document_id)
            position = known[1]
        else:
            position, self.next_position = self.next_position, self.next_position + 1
        self.ids.setdefault(key, set()).add(document_id)
        self.of[document_id] = (key, position)

    def _order(self, document: dict, status: Any) -> None:
        for (ordered_status, field), heap in self.ordered.items():
            if ordered_status == status and _orderable(document.get(field)):
                position = self.of[document["_id"]][1] if document["_id"] in self.of else self.next_position
                heapq.heappush(heap, (document[field], position, document["_id"]))

    def first_in_order(self, statuses: list, field: str, tests: list, filter: dict) -> Any:
        """The id of the first document (ascending `field`, then scan order) with one of `statuses`
        that passes `filter`, as min() over a scan would find it; None when there is none."""
        bound = _upper_bound(filter.get(field))
        if bound is None or self.ids.get(_UNHASHABLE) or not all(_hashable(status) for status in statuses):
            # Without a bound like {"$lte": now}, documents missing the field could match (and sort
            # first); they are not in the heaps. Arrays of statuses are not either.
            return _first_by_scan(self, statuses, field, tests, filter)
        heaps = [self._heap(status, field) for status in statuses]
        skipped: list[tuple[list, tuple]] = []
        found = None
        while found is None:
            tops = [(heap[0], heap) for heap in heaps if heap]
            if not tops:
                break
            entry, heap = min(tops, key=lambda top: top[0])
            value, _, document_id = entry
            document = self.documents.get(document_id)
            status = self.of.get(document_id, (_MISSING,))[0]
            if (
                document is None
                or document.get(field) != value
                or (status, field) not in self.ordered
                or (self.ordered[(status, field)] is not heap)
            ):
                heapq.heappop(heap)  # stale: the document changed or went away
                continue
            if not bound(value):
                break  # every later entry is past the bound too
            if _passes(tests, filter, document):
                found = document_id
            else:
                skipped.append((heap, heapq.heappop(heap)))
        for heap, entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def _heap(self, status: Any, field: str) -> list:
        heap = self.ordered.get((status, field))
        if heap is None:
            heap = [
                (document[field], self.of[document["_id"]][1], document["_id"])
                for document in self._documents_of(status)
                if _orderable(document.get(field))
            ]
            heapq.heapify(heap)
            self.ordered[(status, field)] = heap
        return heap

    def _documents_of(self, status: Any) -> list:
        return [self.documents[i] for i in self.ids.get(status, ()) if i in self.documents]

    def documents_with(self, statuses: list) -> list:
        found = set(self.ids.get(_UNHASHABLE, ()))
        for status in statuses:
            if _hashable(status):
                found |= self.ids.get(status, set())
        gone = [i for i in found if i not in self.documents]
        for document_id in gone:  # deleted (purged, expired): forget them
            self.ids.get(self.of.pop(document_id)[0], set()).discard(document_id)
        live = sorted(found.difference(gone), key=lambda i: self.of[i][1])
        return [self.documents[i] for i in live]


def _orderable(value: Any) -> bool:
    return isinstance(value, datetime) and value.tzinfo is None or type(value) in (int, float) and value == value


def _upper_bound(condition: Any) -> Callable[[Any], bool] | None:
    """For {"$lte": x} / {"$lt": x} on the sort field: the test an entry must pass, past which none can."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    ((operator, operand),) = condition.items()
    if not _orderable(operand):
        return None
    if operator == "$lte":
        return lambda value: type(value) is type(operand) and value <= operand
    if operator == "$lt":
        return lambda value: type(value) is type(operand) and value < operand
    return None


def _first_by_scan(status_map: _StatusMap, statuses: list, field: str, tests: list, filter: dict) -> Any:
    matches = (d for d in status_map.documents_with(statuses) if _passes(tests, filter, d))
    first = min(matches, key=lambda document: resolve_sort_key(field, document), default=None)
    return first["_id"] if first is not None else None


def _status_map(collection: mongomock.Collection) -> _StatusMap:
    store = collection._store
    cache = vars(store).get("_statuses")
    if cache is None or cache.documents is not store._documents:  # drop() replaces the documents
        cache = _StatusMap(store._documents)
        store._statuses = cache
    return cache


# A plain-Python matcher for the filters the queue and the pages use most (top-level fields
# compared with scalars): mongomock's general matcher costs ~30 µs a document, this ~2 µs. Any
# other filter, or a document holding an array or sub-document in a tested field, goes to mongomock.

_OPERATORS = {"$eq", "$ne", "$in", "$lt", "$lte", "$gt", "$gte"}
_MISSING = object()


def _simple_tests(filter: Any) -> list[tuple[str, str, Any]] | None:
    if not isinstance(filter, dict) or not filter:
        return None
    tests = []
    for field, condition in filter.items():
        if field.startswith("$") or "." in field:
            return None
        if isinstance(condition, _SCALARS):
            tests.append((field, "$eq", condition))
            continue
        if not isinstance(condition, dict) or not condition or not set(condition) <= _OPERATORS:
            return None
        for operator, operand in condition.items():
            if operator == "$in":
                if not isinstance(operand, list) or not all(isinstance(v, _SCALARS) for v in operand):
                    return None
            elif not isinstance(operand, _SCALARS) and not (operand is None and operator in ("$eq", "$ne")):
                return None
            tests.append((field, operator, operand))
    return tests


def _kind(value: Any) -> str:
    if value is None or value is _MISSING:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):  # a StrEnum member is stored as itself here, as a string by MongoDB
        return "str"
    return type(value).__name__


def _same(value: Any, operand: Any) -> bool:
    if type(value) is type(operand):
        return value == operand
    return _kind(value) == _kind(operand) and value == operand


def _passes(tests: list[tuple[str, str, Any]], filter: dict, document: dict) -> bool:
    for field, operator, operand in tests:
        value = document.get(field, _MISSING)
        if isinstance(value, dict | list):
            return filter_applies(filter, document)
        if operator == "$eq":
            ok = _kind(value) == "null" if operand is None else _same(value, operand)
        elif operator == "$ne":
            ok = _kind(value) != "null" if operand is None else not _same(value, operand)
        elif operator == "$in":
            ok = any(_same(value, v) for v in operand)
        else:
            if type(value) is not type(operand) and _kind(value) != _kind(operand):
                return False
            ok = {
                "$lt": value < operand,
                "$lte": value <= operand,
                "$gt": value > operand,
                "$gte": value >= operand,
            }[operator]
        if not ok:
            return False
    return True


# Unique keys (dedupe keys, certificate keys, batch numbers…) are looked up by value in a map built
# from every write's _ensure_uniques call, which mongomock makes after each insert and each update
# that changed a document. An entry can go stale (the document changed or went away) but is never
# missing, so candidates are always checked against the document itself.


def _unique_fields(collection: mongomock.Collection) -> set[str]:
    return {
        index["key"][0][0]
        for index in collection._store.indexes.values()
        if index.get("unique")
        and len(index["key"]) == 1
        and "." not in index["key"][0][0]
        and not index.get("partialFilterExpression")
    }


def _unique_field_in(collection: mongomock.Collection, filter: Any) -> str | None:
    if not isinstance(filter, dict):
        return None
    for field in _unique_fields(collection):
        # Only plain equality; a regex, an operator document or an array means a real query.
        if isinstance(filter.get(field), _SCALARS):
            return field
    return None


_SCALARS = (str, int, float, ObjectId, datetime, UUID, bytes)


def _hashable(value: Any) -> bool:
    return not isinstance(value, dict | list) and getattr(value, "__hash__", None) is not None


def _values_of(collection: mongomock.Collection, field: str) -> dict | None:
    """value -> ids for `field`, or None once a document held an array there (then: scan)."""
    store = collection._store
    cache = vars(store).get("_values")
    if cache is None or cache[0] is not store._documents:  # drop() replaces the documents
        cache = (store._documents, {})
        store._values = cache
    if field not in cache[1]:
        values: dict | None = {}
        for document in store._documents.values():
            values = _remember(values, document.get(field), document["_id"])
        cache[1][field] = values
    return cache[1][field]


def _remember(values: dict | None, value: Any, document_id: Any) -> dict | None:
    if values is None or not _hashable(value):
        return None
    values.setdefault(value, set()).add(document_id)
    return values


def _ensure_uniques_by_value(collection: mongomock.Collection, new_data: dict) -> None:
    _check_uniques(collection, new_data)  # raises, and mongomock rolls the write back
    statuses = vars(collection._store).get("_statuses")
    if statuses is not None and statuses.documents is collection._store._documents:
        statuses.track(new_data)


def _check_uniques(collection: mongomock.Collection, new_data: dict) -> None:
    """Unique indexes on one field — partial ones too (one active certificate per batch, a
    notification's dedupe key) — checked through the value maps; anything else as mongomock does."""
    fields = _unique_fields(collection)
    partial = _partial_unique_fields(collection)
    cache = None
    for field in fields | set(partial):
        values = _remember(_values_of(collection, field), new_data.get(field), new_data["_id"])
        cache = vars(collection._store)["_values"]
        cache[1][field] = values
    simple = all(
        not index.get("unique") or len(index["key"]) == 1 and index["key"][0][0] in fields | set(partial)
        for index in collection._store.indexes.values()
    )
    if not simple or any(cache is None or cache[1][field] is None for field in fields | set(partial)):
        return _original_ensure_uniques(collection, new_data)
    documents = collection._store._documents
    for index in collection._store.indexes.values():
        if not index.get("unique"):
            continue
        field = index["key"][0][0]
        value = new_data.get(field)
        if value is None and index.get("sparse"):
            continue
        condition = index.get("partialFilterExpression")
        if condition and not filter_applies(condition, new_data):
            continue
        holders = [
            i
            for i in _values_of(collection, field).get(value, ())
            if i in documents
            and documents[i].get(field) == value
            and (not condition or filter_applies(condition, documents[i]))
        ]
        if len(holders) > 1:
            raise DuplicateKeyError("E11000 Duplicate Key Error", 11000)
    return None


def _partial_unique_fields(collection: mongomock.Collection) -> dict[str, dict]:
    return {
        index["key"][0][0]: index["partialFilterExpression"]
        for index in collection._store.indexes.values()
        if index.get("unique")
        and len(index["key"]) == 1
        and "." not in index["key"][0][0]
        and index.get("partialFilterExpression")
    }


class Speedups(embedded.MongomockCalls):
    """The calls core/embedded.py's locked client hands over; each runs under its lock."""

    def prepare(self, value: Any) -> None:
        if isinstance(value, mongomock.Collection) and "_iter_documents" not in vars(value):
            value._iter_documents = MethodType(_iter_documents_by_id, value)
            # mongomock emulates TTL indexes by scanning the whole collection on every read; the
            # worker's retention sweep (issuance.queue.purge_expired) deletes expired documents instead.
            value._store._remove_expired_documents = _keep_documents
            value._ensure_uniques = MethodType(_ensure_uniques_by_value, value)
        if isinstance(value, Cursor) and "_compute_results" not in vars(value):
            value._compute_results = MethodType(_compute_page, value)

    def find_one_and_update(
        self, collection: Any, filter: Any, update: Any, *args: Any, sort: Any = None, **kwargs: Any
    ) -> Any:
        """mongomock copies every matching document before it sorts and takes the first; with a
        queue of thousands of due jobs that is most of a claim's cost. Pick the first match by
        _id without copying, then update just that one -- atomic, since both run under the lock."""
        if not sort or kwargs.get("upsert") or args or not isinstance(collection, mongomock.Collection):
            return collection.find_one_and_update(filter, update, *args, sort=sort, **kwargs)
        first = _first_match(collection, filter, sort)
        if first is None:
            return None
        return collection.find_one_and_update({**filter, "_id": first}, update, **kwargs)

    def aggregate(self, collection: Any, pipeline: list, session: Any = None, **kwargs: Any) -> Any:
        """mongomock copies the whole collection before the first stage; a pipeline that starts
        with a $match (the worker's, on _id) starts from what that match finds, by the same rules."""
        first = pipeline[0] if pipeline else {}
        if not isinstance(collection, mongomock.Collection) or list(first) != ["$match"]:
            return collection.aggregate(pipeline, session=session, **kwargs)
        matched = list(collection.find(first["$match"]))
        return mongomock_aggregate.process_pipeline(matched, collection.database, pipeline[1:], session)


class SpedUpMongoClient(embedded.LockedMongoClient):
    """The embedded client, locked as ever, taking the shortcuts above."""

    calls = Speedups()


def connect(database: str) -> None:
    """The embedded connection with the speed-ups, on the mongomock they were written for only."""
    check_mongomock()
    embedded.connect(database, SpedUpMongoClient)
