"""Every query the app makes is served by a declared index: a new list or lookup without one fails here.

The test drives the pages, the API, the admin and the worker through a realistic day, records each
query (collection, filter, sort) at the embedded client, and checks it with a small planner: an
index serves a query when its keys start with equality fields of the filter and then the sort
fields in order (all in the index's direction or all against it) — or, unsorted, when its first
key is a filtered field. Lookups by _id are served by MongoDB's own index.
"""

from __future__ import annotations

from datetime import timedelta

import mongomock.collection
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate
from core import embedded, indexes, mongo
from core.clock import utcnow
from issuance import orphans, queue
from issuance.monitoring import Thresholds, health_problems, queue_status
from issuance.processing import process
from issuance.worker import Worker
from notifications.delivery import purge_expired as purge_notifications
from tests.conftest import MONGODB_TEST_URI
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(MONGODB_TEST_URI), reason="records queries at the embedded client"),
]

EQUALITY_OPERATORS = {"$eq", "$in"}
# Queries a collection may make without an index, and why.
ACCEPTED_SCANS = {
    # Counting a whole collection for a page count: bounded by what the admin shows, and MongoDB
    # answers an empty filter from its collection scan at memory speed.
    ("*", "{}", "()"),
    # The admin sorting failed jobs (an outcome filter) by batch: the claim index narrows them to
    # the failed ones, few since they retry within minutes or give up, and expire after 30 days.
    ("issuance_jobs", "['next_attempt_at', 'status']", "(('batch_number', 1),)"),
    ("issuance_jobs", "['next_attempt_at', 'status']", "(('batch_number', -1),)"),
}


class Recorder:
    def __init__(self) -> None:
        self.queries: list[dict] = []

    def record(self, collection: str, query: object, sort=None) -> dict:
        entry = {"collection": collection, "filter": query if isinstance(query, dict) else {}, "sort": sort or []}
        self.queries.append(entry)
        return entry


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    recorder = Recorder()
    collection_class, cursor_class = mongomock.collection.Collection, mongomock.collection.Cursor

    def wrap(name):
        original = getattr(collection_class, name)

        def recorded(self, filter=None, *args, **kwargs):  # noqa: A002 - pymongo's own parameter name
            entry = recorder.record(self.name, filter, kwargs.get("sort"))
            result = original(self, filter, *args, **kwargs)
            if isinstance(result, cursor_class):
                result._recorded = entry
            return result

        monkeypatch.setattr(collection_class, name, recorded)

    for name in ("find", "count_documents", "update_one", "update_many", "delete_one", "delete_many"):
        wrap(name)
    original_sort = cursor_class.sort

    def sort(self, key_or_list, direction=None):
        entry = vars(self).get("_recorded")
        if entry is not None:
            entry["sort"] = key_or_list if isinstance(key_or_list, list) else [(key_or_list, direction or 1)]
        return original_sort(self, key_or_list, direction)

    monkeypatch.setattr(cursor_class, "sort", sort)
    original_claim = embedded._Locked.find_one_and_update

    def find_one_and_update(self, filter, update, *args, sort=None, **kwargs):  # noqa: A002
        recorder.record(self._target.name, filter, sort)
        return original_claim(self, filter, update, *args, sort=sort, **kwargs)

    monkeypatch.setattr(embedded._Locked, "find_one_and_update", find_one_and_update)
    return recorder


def declared_indexes() -> dict[str, list[list[tuple[str, int]]]]:
    found: dict[str, list] = {}
    for document in mongo.document_classes():
        found[document._get_collection_name()] = [spec["keys"] for spec in indexes.declared(document)]
    return found


def fields_of(query: dict) -> tuple[set[str], set[str]]:
    """(equality fields, other filtered fields) at the top level; $and clauses are flattened."""
    equality, other = set(), set()
    for field, condition in query.items():
        if field == "$and":
            for clause in condition:
                more_equal, more_other = fields_of(clause)
                equality |= more_equal
                other |= more_other
        elif field.startswith("$"):
            other.add(field)
        elif isinstance(condition, dict) and not set(condition) <= EQUALITY_OPERATORS:
            other.add(field)
        else:
            equality.add(field)
    return equality, other


def served(query: dict, sort: list, candidates: list) -> bool:
    equality, other = fields_of(query)
    if "_id" in equality:
        return True
    for keys in candidates:
        prefix = 0
        while prefix < len(keys) and keys[prefix][0] in equality:
            prefix += 1
        rest = keys[prefix:]
        if sort:
            wanted = [(field, 1 if direction > 0 else -1) for field, direction in sort]
            head = rest[: len(wanted)]
            forward = head == wanted
            backward = head == [(field, -direction) for field, direction in wanted]
            if (forward or backward) and (prefix or not equality):
                return True
        elif prefix or (keys and keys[0][0] in other):
            return True
    return False


def unserved(recorder: Recorder) -> list[str]:
    available = declared_indexes()
    problems = set()
    for entry in recorder.queries:
        collection = entry["collection"]
        if collection not in available:
            continue  # a test's own scratch collection
        key = (collection, str(sorted(entry["filter"])), str(tuple(entry["sort"])))
        if ("*", "{}", "()") in ACCEPTED_SCANS and not entry["filter"] and not entry["sort"]:
            continue
        if key in ACCEPTED_SCANS or served(entry["filter"], entry["sort"], available[collection]):
            continue
        problems.add(f"{collection}: filter on {sorted(entry['filter'])} sorted by {entry['sort']}")
    return sorted(problems)


def a_day_of_work(api, admin_client, actors) -> None:
    """Pages, API, admin and worker, as exporters, agencies, importers and operators use them."""
    batch = make_batch("RICE-2026-001")
    make_inspection(batch)
    run_due_jobs()
    certificate = Certificate.objects.get()
    Certificate.objects(pk=certificate.pk).update_one(add_to_set__shared_with="importer")
    failing = make_batch("COFFEE-2026-002", exporter="other_exporter")
    make_inspection(failing)
    job = queue.claim("worker-a", 30)
    queue.fail(job, kind="transient", message="503", worker_id="worker-a", permanent=False)
    make_inspection(make_batch("SPICE-2026-003"), outcome="failed")

    for name in ("exporter", "qa", "importer", "staff"):
        client = api[name]
        client.get("/api/v1/batches/?q=rice&status=certified&product=Rice&origin_country=IN")
        client.get("/api/v1/batches/?page=2&page_size=5")
        client.get("/api/v1/batches/RICE-2026-001/")
        client.get("/api/v1/batches/RICE-2026-001/inspections/")
        client.get("/api/v1/batches/RICE-2026-001/issuance/")
        client.get("/api/v1/certificates/?batch=RICE-2026-001")
        client.get(f"/api/v1/certificates/{certificate.pk}/")
        client.get("/api/v1/notifications/?unread=1")
        client.get("/api/v1/notifications/unread-count/")
        client.post("/api/v1/notifications/read-all/")
    api["staff"].post("/api/v1/batches/COFFEE-2026-002/issuance/retry/")
    api["anonymous"].post("/api/v1/verify/", {"credential": certificate.credential}, format="json")

    for name in ("exporter", "qa", "importer"):
        page = Client()
        page.force_login(actors[name])
        page.get("/")
        page.get("/batches/RICE-2026-001/")
        page.get(f"/certificates/{certificate.pk}/")
    api["anonymous"].get(f"/c/{certificate.public_token}/")

    for url in (
        reverse("admin:issuance-jobs"),
        reverse("admin:issuance-jobs") + "?status=failed&o=-next",
        reverse("admin:issuance-jobs") + "?outcome=will_retry",
        reverse("admin:issuance-jobs") + "?outcome=gave_up&o=batch",
        reverse("admin:issuance-jobs") + "?trigger=automatic&created=7d",
        reverse("admin:issuance-jobs") + "?q=RICE-2026-001",
        reverse("admin:issuance-jobs") + "?orphans=unrevoked",
        reverse("admin:issuance-job", args=[job.pk]),
        reverse("admin:issuance-workers"),
        reverse("admin:certificates-batches") + "?q=rice&status=certified",
        reverse("admin:certificates-batches") + "?o=number",
        reverse("admin:certificates-batch", args=[batch.pk]),
        reverse("admin:certificates-inspections") + "?outcome=passed",
        reverse("admin:certificates-certificates") + "?status=active",
        reverse("admin:certificates-certificate", args=[certificate.pk]),
        reverse("admin:notifications-list") + "?recipient=exporter",
    ):
        assert admin_client.get(url).status_code == 200, url
    call_command("revoke_certificate", certificate.credential_id, "--reason", "re-test failed")

    worker = Worker(concurrency=1, poll_interval_ms=20, lease_seconds=10)
    worker.beat()
    worker.maintain()
    orphans.sweep(now=utcnow() + timedelta(hours=2))
    health_problems(Thresholds())
    queue.recover_expired_leases(now=utcnow() + timedelta(hours=1))
    queue.purge_expired(now=utcnow() + timedelta(days=400))
    purge_notifications(now=utcnow() + timedelta(days=400))
    queue_status()
    issue_certificate(make_inspection(make_batch("TEA-2026-004")))
    again = queue.claim("worker-b", 30)
    if again is not None:
        process(again, "worker-b")


def test_every_query_of_a_days_work_is_served_by_an_index(recorder, api, admin_client, actors):
    a_day_of_work(api, admin_client, actors)

    assert len(recorder.queries) > 100  # the day really happened
    missing = unserved(recorder)
    assert missing == [], "\n".join(missing)


def test_the_planner_refuses_a_query_without_an_index():
    available = declared_indexes()

    assert not served({"exporter_name": "Green Valley"}, [], available["batches"])
    assert not served({"status": "failed"}, [("batch_number", 1)], available["issuance_jobs"])
    assert served(
        {"status": {"$in": ["pending", "failed"]}, "next_attempt_at": {"$lte": 1}},
        [("next_attempt_at", 1)],
        available["issuance_jobs"],
    )
