"""Why each patch in core/embedded_speedups.py exists, measured: documents visited or copied per call.

Each test runs the same operation on the patched embedded client, on the embedded client without
the speed-ups (EMBEDDED_SPEEDUPS=false: locked only) and on a bare mongomock client, over 1,000
documents. The bare and lock-only figures show what the patch removes (the test fails without it);
the patched figure must stay flat, whatever the collection's size.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import mongomock
import mongomock.collection
import mongomock.helpers
import pytest
from django.core.exceptions import ImproperlyConfigured
from mongomock.store import CollectionStore

from core import embedded, embedded_speedups
from tests.conftest import MONGODB_TEST_URI

pytestmark = pytest.mark.skipif(bool(MONGODB_TEST_URI), reason="about the embedded client only")

SIZE = 1_000


class Counter:
    def __init__(self, monkeypatch, *places: tuple[object, str], only=lambda *args: True) -> None:
        self.calls = 0
        for owner, name in places:
            original = getattr(owner, name)

            def counted(*args, _original=original, **kwargs):
                self.calls += bool(only(*args))
                return _original(*args, **kwargs)

            monkeypatch.setattr(owner, name, counted)


CLIENTS = {
    "patched": embedded_speedups.SpedUpMongoClient,
    "lock only": embedded.LockedMongoClient,
    "bare": mongomock.MongoClient,
}


def collection(kind: str):
    things = CLIENTS[kind](tz_aware=True)["db"]["things"]
    things.insert_many([{"_id": n, "code": f"C{n}", "group": n % 4, "due": n} for n in range(SIZE)])
    things.create_index("code", unique=True)
    return things


def matched(monkeypatch) -> Counter:
    """Counts documents run through mongomock's filter matcher (one call per document scanned)."""
    return Counter(monkeypatch, (mongomock.collection, "filter_applies"), (embedded_speedups, "filter_applies"))


def copied(monkeypatch) -> Counter:
    """Counts documents copied out of the store into results."""
    name = "make_datetime_timezone_aware_in_document"
    # It recurses into each value; only the call for a whole document counts.
    return Counter(
        monkeypatch,
        (mongomock.helpers, name),
        (embedded_speedups, name),
        only=lambda value: isinstance(value, dict) and "_id" in value,
    )


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 1), ("lock only", None), ("bare", None)])
def test_a_lookup_by_id_reads_one_document(monkeypatch, kind, at_most):
    things = collection(kind)
    count = matched(monkeypatch)

    assert things.find_one({"_id": 750})["code"] == "C750"

    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 1), ("lock only", None), ("bare", None)])
def test_a_lookup_by_unique_key_reads_one_document(monkeypatch, kind, at_most):
    things = collection(kind)
    count = matched(monkeypatch)

    assert things.find_one({"code": "C750"})["_id"] == 750

    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 1), ("lock only", None), ("bare", None)])
def test_an_insert_checks_unique_keys_without_scanning(monkeypatch, kind, at_most):
    things = collection(kind)
    count = matched(monkeypatch)

    things.insert_one({"code": "NEW"})

    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 10), ("lock only", None), ("bare", None)])
def test_a_page_copies_only_its_own_documents(monkeypatch, kind, at_most):
    things = collection(kind)
    count = copied(monkeypatch)

    page = list(things.find({"group": 1}).skip(100).limit(10))

    assert [d["_id"] for d in page] == [n for n in range(SIZE) if n % 4 == 1][100:110]
    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE // 4


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 1), ("lock only", None), ("bare", None)])
def test_a_sorted_claim_copies_only_the_claimed_document(monkeypatch, kind, at_most):
    things = collection(kind)
    count = copied(monkeypatch)

    claimed = things.find_one_and_update({"group": 2}, {"$set": {"claimed": True}}, sort=[("due", 1)])

    assert claimed["_id"] == 2
    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE // 4


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 11), ("lock only", None), ("bare", None)])
def test_a_claim_visits_only_live_jobs_however_many_have_finished(monkeypatch, kind, at_most):
    things = collection(kind)
    things.update_many({"_id": {"$gte": 10}}, {"$set": {"status": "success"}})
    things.update_many({"_id": {"$lt": 10}}, {"$set": {"status": "pending"}})
    things.find_one({"status": "pending"})  # the map of statuses exists before the writes below
    things.update_one({"_id": 500}, {"$set": {"status": "failed"}})  # a finished job retried
    things.delete_one({"_id": 3})
    count = Counter(
        monkeypatch,
        (mongomock.collection, "filter_applies"),
        (embedded_speedups, "filter_applies"),
        (embedded_speedups, "_passes"),
    )

    claimed = things.find_one_and_update(
        {"status": {"$in": ["pending", "failed"]}, "due": {"$gte": 0}},
        {"$set": {"status": "processing"}},
        sort=[("due", -1)],
    )

    assert claimed["_id"] == 500
    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE
    assert [d["_id"] for d in things.find({"status": {"$in": ["pending", "processing"]}})] == [
        0, 1, 2, 4, 5, 6, 7, 8, 9, 500
    ]  # fmt: skip


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 0), ("lock only", None), ("bare", None)])
def test_reads_do_not_sweep_ttl_indexes(monkeypatch, kind, at_most):
    """mongomock expires TTL documents by checking every document on every read; the worker's
    retention sweep (issuance.queue.purge_expired) does that job every ten minutes instead."""
    things = collection(kind)
    things.update_many({}, {"$set": {"expires_at": datetime(2099, 1, 1) - timedelta(days=1)}})
    things.create_index("expires_at", expireAfterSeconds=0)
    count = Counter(monkeypatch, (CollectionStore, "_value_meets_expiry"))

    things.find_one({"_id": 7})

    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE


def test_another_mongomock_version_is_refused_at_start(monkeypatch):
    monkeypatch.setattr(mongomock, "__version__", "4.4.0")

    with pytest.raises(ImproperlyConfigured, match=r"patches mongomock 4\.3\.0's internals, but mongomock 4\.4\.0"):
        embedded_speedups.check_mongomock()


def test_a_missing_internal_is_named_at_start(monkeypatch):
    monkeypatch.delattr(mongomock.collection.Cursor, "_compute_results")

    with pytest.raises(ImproperlyConfigured, match="Cursor._compute_results"):
        embedded_speedups.check_mongomock()


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 2), ("lock only", None), ("bare", None)])
def test_an_aggregation_starting_with_a_match_copies_only_what_it_matches(monkeypatch, kind, at_most):
    """The worker reads a job's inspection and its batch with one $match on _id and a $lookup."""
    things = collection(kind)
    others = things.database["others"]
    others.insert_many([{"_id": n, "thing": n} for n in range(SIZE)])
    count = copied(monkeypatch)

    found = list(
        others.aggregate(
            [
                {"$match": {"_id": 750}},
                {"$lookup": {"from": "things", "localField": "thing", "foreignField": "_id", "as": "the_thing"}},
            ]
        )
    )

    assert [(doc["_id"], [thing["code"] for thing in doc["the_thing"]]) for doc in found] == [(750, ["C750"])]
    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 3), ("lock only", None), ("bare", None)])
def test_an_insert_under_a_partial_unique_index_reads_only_its_key(monkeypatch, kind, at_most):
    """One active certificate per batch, one notification per dedupe key: partial unique indexes,
    checked on every insert. The rule holds either way; only the patched check stays flat."""
    things = CLIENTS[kind](tz_aware=True)["db"]["certificates"]
    things.insert_many([{"_id": n, "group": n, "state": "active"} for n in range(SIZE)])
    things.create_index("group", unique=True, partialFilterExpression={"state": "active"})
    things.insert_one({"_id": "a", "group": -9, "state": "active"})
    count = matched(monkeypatch)

    things.insert_one({"_id": "b", "group": -9, "state": "revoked"})  # inactive: allowed
    with pytest.raises(mongomock.DuplicateKeyError):
        things.insert_one({"_id": "c", "group": -9, "state": "active"})
    with pytest.raises(mongomock.DuplicateKeyError):
        things.update_one({"_id": "b"}, {"$set": {"state": "active"}})

    assert sorted(doc["_id"] for doc in things.find({"group": -9})) == ["a", "b"]
    assert count.calls <= at_most * 3 if at_most is not None else count.calls >= SIZE


@pytest.mark.parametrize(("kind", "at_most"), [("patched", 3), ("lock only", None), ("bare", None)])
def test_a_claim_takes_the_due_job_first_without_visiting_the_backlog(monkeypatch, kind, at_most):
    """1,000 jobs due (a backlog): the claim finds the longest-waiting one by its due time."""
    things = collection(kind)
    start = datetime(2026, 1, 1)
    things.update_many({}, {"$set": {"status": "pending"}})
    for n in range(SIZE):
        things.update_one({"_id": n}, {"$set": {"at": start + timedelta(seconds=(n * 7919) % SIZE)}})
    claim = {"status": {"$in": ["pending", "failed"]}, "at": {"$lte": start + timedelta(days=1)}}
    things.find_one_and_update(claim, {"$set": {"status": "processing"}}, sort=[("at", 1)])  # builds the order
    count = Counter(monkeypatch, (mongomock.collection, "filter_applies"), (embedded_speedups, "_passes"))

    claimed = things.find_one_and_update(claim, {"$set": {"status": "processing"}}, sort=[("at", 1)])

    assert claimed["at"].replace(tzinfo=None) == start + timedelta(seconds=1)  # the first claim took 0 s
    assert count.calls <= at_most if at_most is not None else count.calls >= SIZE // 2


def test_claims_in_order_agree_with_mongomock_through_random_writes():
    """The same writes and claims on a bare client and on the patched one: the same job each time."""
    import random

    rng = random.Random(11)
    start = datetime(2026, 1, 1)
    clients = [embedded_speedups.SpedUpMongoClient(tz_aware=True), mongomock.MongoClient(tz_aware=True)]
    stores = [client["db"]["jobs"] for client in clients]
    statuses = ["pending", "failed", "processing", "success"]
    for step in range(600):
        action = rng.random()
        target = rng.randrange(60)
        if action < 0.3:
            document = {
                "_id": step + 1000,
                "status": rng.choice(statuses),
                "due": start + timedelta(minutes=rng.randrange(30)) if rng.random() < 0.9 else None,
                "left": rng.randrange(3),
            }
            for store in stores:
                store.insert_one(dict(document))
        elif action < 0.6:
            change = {"status": rng.choice(statuses)}
            if rng.random() < 0.5:
                change["due"] = start + timedelta(minutes=rng.randrange(30))
            for store in stores:
                store.update_many({"_id": {"$gte": 1000 + target * 10, "$lt": 1010 + target * 10}}, {"$set": change})
        elif action < 0.65:
            for store in stores:
                store.delete_many({"_id": {"$lt": 1000 + target * 5}, "status": "success"})
        else:
            now = start + timedelta(minutes=rng.randrange(35))
            claim = {"status": {"$in": ["pending", "failed"]}, "due": {"$lte": now}, "left": {"$gt": 0}}
            update = {"$set": {"status": "processing"}, "$inc": {"left": -1}}
            claimed = [store.find_one_and_update(claim, update, sort=[("due", 1)]) for store in stores]
            assert (claimed[0] or {}).get("_id") == (claimed[1] or {}).get("_id"), f"step {step}"
