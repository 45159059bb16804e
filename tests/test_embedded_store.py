"""The embedded store's shortcuts (lookups by _id and by unique key) answer exactly as a scan would."""

from __future__ import annotations

import pytest
from pymongo.errors import DuplicateKeyError

from tests.conftest import MONGODB_TEST_URI

pytestmark = pytest.mark.skipif(bool(MONGODB_TEST_URI), reason="about the embedded client only")


@pytest.fixture
def things(mongodb):
    collection = mongodb["things"]
    collection.create_index("code", unique=True)
    collection.create_index("token", unique=True, sparse=True)
    collection.insert_many([{"_id": n, "code": f"C{n}", "group": n % 3} for n in range(30)])
    return collection


def test_lookups_by_unique_key_follow_inserts_updates_and_deletes(things):
    assert things.find_one({"code": "C7"})["_id"] == 7

    things.update_one({"_id": 7}, {"$set": {"code": "RENAMED"}})
    assert things.find_one({"code": "C7"}) is None
    assert things.find_one({"code": "RENAMED"})["_id"] == 7

    things.delete_one({"_id": 8})
    assert things.find_one({"code": "C8"}) is None
    assert things.count_documents({"code": "C9", "group": 0}) == 1
    assert things.count_documents({"code": "C9", "group": 1}) == 0


def test_unique_keys_are_enforced_on_insert_and_update(things):
    with pytest.raises(DuplicateKeyError):
        things.insert_one({"code": "C1"})
    with pytest.raises(DuplicateKeyError):
        things.update_one({"_id": 2}, {"$set": {"code": "C3"}})
    assert things.find_one({"_id": 2})["code"] == "C2"  # rolled back

    things.insert_one({"code": "NEW", "token": "t1"})
    things.insert_one({"code": "NEW2"})  # sparse: a missing token is no duplicate
    with pytest.raises(DuplicateKeyError):
        things.insert_one({"code": "NEW3", "token": "t1"})


def test_a_dropped_collection_forgets_its_keys(things):
    things.drop()
    things.create_index("code", unique=True)

    assert things.find_one({"code": "C1"}) is None
    things.insert_one({"code": "C1"})
    assert things.count_documents({"code": "C1"}) == 1


def test_sorted_claims_and_pages_match_a_full_scan(things):
    first = things.find_one_and_update({"group": 2}, {"$set": {"claimed": True}}, sort=[("code", -1)])
    page = list(things.find({"group": {"$in": [0, 1]}}).sort("_id", 1).skip(5).limit(4))

    assert first["code"] == max(f"C{n}" for n in range(30) if n % 3 == 2)
    assert [d["_id"] for d in page] == [n for n in range(30) if n % 3 != 2][5:9]


def test_the_quick_matcher_agrees_with_mongomock_on_random_filters():
    import random
    from datetime import datetime, timedelta
    from enum import StrEnum

    from bson import ObjectId
    from mongomock.filtering import filter_applies

    from core.embedded_speedups import _passes, _simple_tests

    class Status(StrEnum):
        PENDING = "pending"

    rng = random.Random(7)
    start = datetime(2026, 1, 1)
    pools = {
        "status": ["pending", Status.PENDING, "failed", "success", None, 1, ["pending", "x"]],
        "n": [0, 1, 2.5, -3, "2", None],  # (mongomock, unlike MongoDB, finds True in [0, 1])
        "at": [start, start + timedelta(hours=1), None, "2026-01-01"],
        "ref": [ObjectId("6b0000000000000000000001"), ObjectId("6b0000000000000000000002"), None],
    }
    documents = []
    for _ in range(300):
        document = {"_id": ObjectId()}
        for field, pool in pools.items():
            if rng.random() < 0.85:
                document[field] = rng.choice(pool)
        documents.append(document)
    operators = ["$eq", "$ne", "$in", "$lt", "$lte", "$gt", "$gte"]
    checked = 0
    for _ in range(400):
        filter = {}
        for field in rng.sample(list(pools), rng.randint(1, 3)):
            operand = rng.choice([v for v in pools[field] if not isinstance(v, list)])
            operator = rng.choice(operators)
            if operator == "$in":
                filter[field] = {"$in": [v for v in pools[field] if v is not None and not isinstance(v, list)][:2]}
            elif operand is None and operator not in ("$eq", "$ne"):
                filter[field] = {"$ne": None}
            else:
                filter[field] = {operator: operand} if rng.random() < 0.7 or operand is None else operand
        tests = _simple_tests(filter)
        if tests is None:
            continue
        for document in documents:
            assert _passes(tests, filter, document) == filter_applies(filter, document), (filter, document)
            checked += 1
    assert checked > 50_000
