"""The embedded (mongomock) client can be shared by the web server's and the worker's threads,
with the speed-ups (core/embedded_speedups.py) and without them: the lock does not depend on them."""

from __future__ import annotations

import sys
import threading

import mongoengine
import pytest
from pymongo import ReturnDocument

from core import mongo
from tests.conftest import MONGODB_TEST_URI

pytestmark = pytest.mark.skipif(bool(MONGODB_TEST_URI), reason="about the embedded client only")

THREADS = 8
DOCUMENTS = 1000


@pytest.fixture(autouse=True)
def threads_switch_often():
    """Switch threads every microsecond instead of every 5 ms, so that they really interleave
    inside each operation instead of one thread finishing the whole race alone."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.fixture(params=[True, False], ids=["speed-ups on", "speed-ups off"])
def store(request, settings, mongodb):
    """The embedded database as the app connects to it, with EMBEDDED_SPEEDUPS on and off."""
    settings.EMBEDDED_SPEEDUPS = request.param
    mongo.connect("", "agriqcert_test")
    return mongoengine.get_db()


def race(target, threads: int = THREADS) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run(index: int) -> None:
        start.wait()
        try:
            target(index)
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return errors


def test_racing_threads_claim_every_document_exactly_once(store):
    jobs = store["race_jobs"]
    jobs.insert_many([{"n": n, "status": "pending"} for n in range(DOCUMENTS)])
    claims: dict[int, list[int]] = {i: [] for i in range(THREADS)}

    def claim_until_empty(index: int) -> None:
        while True:
            doc = jobs.find_one_and_update(
                {"status": "pending"},
                {"$set": {"status": "processing", "owner": index}, "$inc": {"claims": 1}},
                sort=[("n", 1)],
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                return
            claims[index].append(doc["n"])

    errors = race(claim_until_empty)

    assert errors == []
    claimed = [n for per_thread in claims.values() for n in per_thread]
    assert sorted(claimed) == list(range(DOCUMENTS))
    assert jobs.count_documents({"claims": {"$ne": 1}}) == 0
    assert sum(1 for per_thread in claims.values() if per_thread) > 1, "the threads did not actually race"


def test_iterating_a_cursor_while_other_threads_insert_and_delete_does_not_break(store):
    docs = store["race_docs"]
    docs.insert_many([{"n": n} for n in range(2000)])

    def read_or_write(index: int) -> None:
        for round_ in range(30):
            if index % 2:
                docs.insert_one({"n": 10_000 + index * 100 + round_, "scratch": True})
                docs.delete_one({"scratch": True})
            else:
                assert sum(1 for _ in docs.find({"n": {"$gte": 0}})) >= 2000

    assert race(read_or_write) == []
    assert docs.count_documents({}) == 2000
