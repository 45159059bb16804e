"""Every query the app makes is served by a declared index: a new list or lookup without one fails here.

The test drives the pages, the API, the admin and the worker through a realistic day, records each
query (collection, filter, sort) at the embedded client, and checks it with a small planner that
follows MongoDB's ESR rule: an index serves a query when its keys are, from the first, every
equality field of the filter (`$eq`, `$in`), then the sort fields in order (all in the index's
direction or all against it), then every range field. An index that provides only the sort order
does not serve a filtered query: MongoDB would walk the whole index in order, fetching every
document to test the filter. A sparse or partial index serves only queries that cannot match the
documents it leaves out. Lookups by _id are served by MongoDB's own index.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import mongomock.collection
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from certificates.models import Batch, Certificate
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
    # The admin sorting failed jobs (an outcome filter) by batch or date: the claim index narrows
    # them to the failed ones, few since they retry within minutes or give up, and expire after 30
    # days; they are sorted in memory.
    *(
        ("issuance_jobs", "['next_attempt_at', 'status']", f"(('{field}', {direction}),)")
        for field in ("batch_number", "created_at")
        for direction in (1, -1)
    ),
}
# Fields one value of which matches a handful of documents, whatever the collection's size: an
# index starting with one serves a query, the other conditions being tested on those few.
FEW_PER_VALUE = {
    ("certificates", "batch"): "a batch has one certificate per passing inspection",
    ("inspections", "batch"): "a batch has its first inspection and its re-tests",
    ("issuance_jobs", "inspection_id"): "an inspection has one job per certificate revision",
    ("issuance_jobs", "batch_id"): "a batch has one job per passing inspection and certificate revision",
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


def declared_indexes() -> dict[str, list[dict]]:
    return {document._get_collection_name(): indexes.declared(document) for document in mongo.document_classes()}


def fields_of(query: dict) -> tuple[set[str], set[str]]:
    """(equality fields, range and other filtered fields) at the top level; $and clauses are flattened."""
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


def follows_esr(keys: list[tuple[str, int]], equality: set[str], sort: list, ranges: set[str]) -> bool:
    """Whether the index's keys are, from the first: every equality field (any order), then the sort
    fields in order (all in the index's direction or all against it), then every range field. Behind
    a sort, a range may sit anywhere among the keys that follow it: the index is walked in the sort's
    order whatever the range, which is checked on each key passed (a document is fetched only when its
    keys match), so a key between costs nothing more. Unsorted, the ranges must come next: they bound
    the walk."""
    fields = [field for field, _ in keys]
    if set(fields[: len(equality)]) != equality:
        return False
    rest = keys[len(equality) :]
    wanted = [(field, 1 if direction > 0 else -1) for field, direction in sort if field not in equality]
    head = rest[: len(wanted)]
    if head != wanted and head != [(field, -direction) for field, direction in wanted]:
        return False
    remaining = ranges - {field for field, _ in sort}
    behind = fields[len(equality) + len(wanted) :]
    if wanted:
        return remaining <= set(behind)
    return set(behind[: len(remaining)]) == remaining


def usable(spec: dict, query: dict) -> bool:
    """A sparse index holds no entry for documents without its fields, a partial one only those its
    filter matches: MongoDB uses either only for a query that cannot match the documents left out."""
    options = spec["options"]
    left_out = (None, {"$exists": False})
    if options.get("sparse") and not any(query.get(field) not in left_out for field, _ in spec["keys"]):
        return False
    for field, wanted in options.get("partialFilterExpression", {}).items():
        value = query.get(field)
        if wanted == {"$type": "string"} and isinstance(value, str):
            continue
        if value != wanted:
            return False
    return True


def served(query: dict, sort: list, candidates: list[dict], few: set[str] = frozenset()) -> bool:
    """Whether an index serves the query: by ESR, or a unique one by equality on all its keys (one
    document at most), or one starting with a field in `few` (one value of it matches a handful of
    documents, on which the other conditions are tested and which are sorted in memory). A partial
    index's filter counts as conditions its keys satisfy."""
    equality, ranges = fields_of(query)
    if "_id" in equality:
        return True
    for spec in filter(lambda spec: usable(spec, query), candidates):
        keys, implied = spec["keys"], set(spec["options"].get("partialFilterExpression", {}))
        if spec["options"].get("unique") and {field for field, _ in keys} <= equality:
            return True
        if follows_esr(keys, equality - implied, sort, ranges - implied):
            return True
        if keys[0][0] in few & equality:
            return True
    return False


def unserved(recorder: Recorder) -> list[str]:
    available = declared_indexes()
    # A page counts its rows with its list's filter, unsorted: MongoDB counts them on the index that
    # serves the sorted list, testing the range on its keys as the list does.
    sorts: dict[tuple, list] = {}
    for entry in recorder.queries:
        if entry["sort"]:
            sorts.setdefault((entry["collection"], str(sorted(entry["filter"]))), []).append(entry["sort"])
    problems = set()
    for entry in recorder.queries:
        collection = entry["collection"]
        if collection not in available:
            continue  # a test's own scratch collection
        key = (collection, str(sorted(entry["filter"])), str(tuple(entry["sort"])))
        if ("*", "{}", "()") in ACCEPTED_SCANS and not entry["filter"] and not entry["sort"]:
            continue
        few = {field for (name, field) in FEW_PER_VALUE if name == collection}
        if key in ACCEPTED_SCANS or any(
            served(entry["filter"], sort, available[collection], few)
            for sort in [entry["sort"]] + ([] if entry["sort"] else sorts.get(key[:2], []))
        ):
            continue
        problems.add(f"{collection}: filter on {sorted(entry['filter'])} sorted by {entry['sort']}")
    return sorted(problems)


# Every search, filter and sort the list pages offer, alone and together.
LIST_FILTERS = (
    "",
    "?page=2",
    "?q=rice",
    "?status={status}",
    "?country=IN",
    "?since=2026-01-01&until=2026-12-31",
    "?sort=oldest",
    "?q=rice&status={status}&country=IN&since=2026-01-01&until=2026-12-31&sort=oldest",
    "?status={status}&country=IN",
    "?q=rice&country=IN",
    "?unread=on&since=2026-01-01",
    "?product=rice",
    "?product=Basmati+rice&status={status}&sort=oldest",
    "?product=rice&country=IN&since=2026-01-01",
    "?q=rice&product=rice&status={status}&country=IN&since=2026-01-01&until=2026-12-31&sort=oldest",
)
LIST_PAGES = [
    path + query.format(status=status)
    for path, status in (
        ("/batches/", "certified"),
        ("/inspections/to-do/", "inspection_failed"),
        ("/inspections/", "passed"),
        ("/certificates/", "active"),
        ("/certificates/shared/", "revoked"),
        ("/notifications/", ""),
    )
    for query in LIST_FILTERS
]


# The API's lists take the pages' filters, under their API names.
API_LISTS = (
    "/api/v1/batches/?product=rice&origin_country=in&since=2026-01-01&until=2026-12-31&order=oldest",
    "/api/v1/batches/?q=rice&product=rice&status=certified&origin_country=IN",
    "/api/v1/batches/?origin_country=KE&status=submitted",
    "/api/v1/batches/?since=2026-01-01&order=oldest",
    "/api/v1/certificates/?product=rice&status=active&since=2026-01-01&until=2026-12-31",
    "/api/v1/certificates/?q=rice&order=oldest",
    "/api/v1/certificates/?q=rice&product=rice&batch=RICE-2026-001",
    "/api/v1/inspections/",
    "/api/v1/inspections/?product=rice&outcome=passed&since=2026-01-01&order=oldest",
    "/api/v1/inspections/?q=rice&product=rice&until=2026-12-31",
)


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
        client.get("/api/v1/batches/?q=rice&status=certified")
        client.get("/api/v1/batches/?q=rice")
        client.get("/api/v1/batches/?status=submitted")
        client.get("/api/v1/batches/?page=2&page_size=5")
        client.get("/api/v1/batches/RICE-2026-001/")
        client.get("/api/v1/batches/RICE-2026-001/inspections/")
        client.get("/api/v1/batches/RICE-2026-001/issuance/")
        client.get("/api/v1/certificates/")
        client.get("/api/v1/certificates/?batch=RICE-2026-001")
        for url in API_LISTS:
            assert client.get(url).status_code == 200, url
        client.get(f"/api/v1/certificates/{certificate.pk}/")
        client.get("/api/v1/notifications/")
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
    for name in ("exporter", "qa", "importer", "staff"):
        lists = Client()
        lists.force_login(actors[name])
        for url in LIST_PAGES:
            assert lists.get(url).status_code == 200, url
    api["anonymous"].get(f"/c/{certificate.public_token}/")

    for url in (
        reverse("admin:issuance-jobs"),
        reverse("admin:issuance-jobs") + "?status=failed&o=-next",
        reverse("admin:issuance-jobs") + "?outcome=will_retry",
        reverse("admin:issuance-jobs") + "?outcome=gave_up&o=batch",
        reverse("admin:issuance-jobs") + "?trigger=automatic&created=7d",
        reverse("admin:issuance-jobs") + "?q=RICE-2026-001",
        reverse("admin:issuance-jobs") + "?q=rice&status=failed&created=7d&o=-next",
        reverse("admin:issuance-jobs") + "?q=rice&outcome=gave_up&o=batch",
        reverse("admin:issuance-jobs") + "?orphans=unrevoked",
        reverse("admin:issuance-jobs") + "?status=pending&o=-created",
        reverse("admin:issuance-jobs") + "?o=updated",
        reverse("admin:issuance-job", args=[job.pk]),
        reverse("admin:issuance-workers"),
        reverse("admin:certificates-batches"),
        reverse("admin:certificates-batches") + "?q=rice",
        reverse("admin:certificates-batches") + "?q=rice&status=certified",
        reverse("admin:certificates-batches") + "?status=submitted&o=created",
        reverse("admin:certificates-batches") + "?o=number",
        reverse("admin:certificates-batches") + "?q=rice&o=-number",
        reverse("admin:certificates-batches") + "?q=rice&status=certified&o=number",
        reverse("admin:certificates-batches") + "?product=rice",
        reverse("admin:certificates-batches") + "?product=rice&status=certified&o=-number",
        reverse("admin:certificates-batches") + "?q=rice&product=basmati+rice&o=number",
        reverse("admin:certificates-batches") + "?product=rice&status=submitted&when=7d&o=created",
        reverse("admin:certificates-batch", args=[batch.pk]),
        reverse("admin:certificates-inspections"),
        reverse("admin:certificates-inspections") + "?outcome=passed",
        reverse("admin:certificates-inspections") + "?q=rice&outcome=passed&when=7d",
        reverse("admin:certificates-inspections") + "?when=30d",
        reverse("admin:certificates-inspections") + "?outcome=failed&when=today",
        reverse("admin:certificates-batches") + "?when=7d",
        reverse("admin:certificates-batches") + "?q=rice&status=certified&when=30d&o=number",
        reverse("admin:certificates-certificates"),
        reverse("admin:certificates-certificates") + "?status=active",
        reverse("admin:certificates-certificates") + "?q=rice&status=active&when=7d",
        reverse("admin:certificates-certificates") + "?when=today",
        reverse("admin:certificates-certificates") + "?status=revoked&when=30d",
        reverse("admin:certificates-certificates") + f"?q={certificate.credential_id}&status=active",
        reverse("admin:certificates-certificate", args=[certificate.pk]),
        reverse("admin:notifications-list"),
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
        {"status": {"$in": ["pending", "failed"]}, "next_attempt_at": {"$lte": 1}, "attempts_left": {"$gt": 0}},
        [("next_attempt_at", 1)],
        available["issuance_jobs"],
    )


def index(*keys: tuple[str, int], **options) -> dict:
    return {"keys": list(keys), "options": options}


def test_an_index_that_only_sorts_does_not_serve_a_filter():
    newest_first = index(("created_at", -1))

    assert served({}, [("created_at", -1)], [newest_first])
    assert not served({"product": "Rice"}, [("created_at", -1)], [newest_first])


def test_an_index_serves_by_equality_then_sort_then_range():
    esr = index(("exporter", 1), ("status", 1), ("created_at", -1), ("search_key", 1))
    prefix = {"$gte": "RICE", "$lt": "RICE\U0010ffff"}

    assert served({"exporter": "e", "status": "certified", "search_key": prefix}, [("created_at", -1)], [esr])
    assert served({"status": "certified", "exporter": "e"}, [("created_at", 1)], [esr])
    # an equality field missing from the index, or one the index has before the others are fixed
    assert not served({"exporter": "e", "status": "certified", "product": "Rice"}, [("created_at", -1)], [esr])
    assert not served({"exporter": "e"}, [("created_at", -1)], [esr])
    # the range before the sort: MongoDB would sort in memory
    assert not served(
        {"status": "certified", "search_key": prefix},
        [("created_at", -1)],
        [index(("status", 1), ("search_key", 1), ("created_at", -1))],
    )
    # a range the index does not hold
    assert not served({"exporter": "e", "status": "certified", "quantity": {"$gt": 5}}, [("created_at", -1)], [esr])


def test_behind_a_sort_a_range_is_checked_on_any_key_that_follows_it():
    lists = index(("exporter", 1), ("created_at", -1), ("search_key", 1), ("product_keys", 1))
    product = {"$elemMatch": {"$gte": "coffee", "$lt": "coffee\U0010ffff"}}
    number = {"$gte": "RICE", "$lt": "RICE\U0010ffff"}

    assert served({"exporter": "e", "product_keys": product}, [("created_at", -1)], [lists])
    assert served({"exporter": "e", "search_key": number, "product_keys": product}, [("created_at", 1)], [lists])
    # unsorted, nothing orders the walk: the first key behind the equalities must bound it
    assert not served({"exporter": "e", "product_keys": product}, [], [lists])
    by_number = index(("exporter", 1), ("created_at", -1), ("search_key", 1))
    assert not served({"exporter": "e", "product_keys": product}, [("created_at", -1)], [by_number])


def test_sparse_and_partial_indexes_serve_only_the_documents_they_hold():
    sparse = index(("search_key", 1), unique=True, sparse=True)
    active = index(("batch", 1), unique=True, partialFilterExpression={"status": "active"})

    assert served({"search_key": "RICE-1"}, [], [sparse])
    assert not served({"search_key": None}, [], [sparse])
    assert not served({}, [("search_key", 1)], [sparse])
    assert served({"batch": 1, "status": "active"}, [], [active])
    assert not served({"batch": 1}, [], [active])


def test_a_unique_index_serves_any_query_that_fixes_all_its_keys():
    unique = index(("batch_number", 1), unique=True)

    assert served({"batch_number": "RICE-1", "exporter": "e"}, [], [unique])
    assert not served({"batch_number": "RICE-1", "exporter": "e"}, [], [index(("batch_number", 1))])


def test_ensure_indexes_replaces_the_batch_indexes_that_served_only_the_sort(capsys):
    collection = Batch._get_collection()
    old = {"exporter_1_created_at_-1": [("exporter", 1), ("created_at", -1)], "created_at_-1": [("created_at", -1)]}
    for name, keys in old.items():
        collection.create_index(keys, name=name)

    call_command("ensure_indexes")

    info = collection.index_information()
    assert not set(old) & set(info)
    assert info["exporter_1_created_at_-1_search_key_1_product_keys_1"]["key"] == [
        ("exporter", 1),
        ("created_at", -1),
        ("search_key", 1),
        ("product_keys", 1),
    ]
    assert "batches: dropped the obsolete index created_at_-1" in capsys.readouterr().out


def test_ensure_indexes_extends_the_batch_list_indexes_with_product_keys_and_fills_them_in(capsys):
    collection = Batch._get_collection()
    replaced = [spec for spec in indexes.declared(Batch) if spec["keys"][-1] == ("product_keys", 1)]
    for spec in replaced:
        collection.drop_index(spec["name"])
        collection.create_index(spec["keys"][:-1], name=spec["name"].removesuffix("_product_keys_1"))
    stored = make_batch("COFFEE-2019-001", product="Arabica coffee beans")
    collection.update_one({"_id": stored.pk}, {"$unset": {"product_keys": ""}})  # stored by an older release

    call_command("ensure_indexes")

    info = collection.index_information()
    assert len(replaced) == 10 and all(info[spec["name"]]["key"] == spec["keys"] for spec in replaced)
    out = capsys.readouterr().out
    for spec in replaced:
        assert f"batches: dropped the obsolete index {spec['name'].removesuffix('_product_keys_1')}\n" in out
    assert not [name for name in info if name.endswith("_search_key_1")]
    assert indexes.problems() == []
    assert collection.find_one({"_id": stored.pk})["product_keys"] == ["arabica coffee beans", "coffee beans", "beans"]
    assert [batch.batch_number for batch in Batch.with_product(Batch.objects, "COFFEE")] == ["COFFEE-2019-001"]


def test_every_filter_and_sort_the_lists_offer_is_served_by_an_index(recorder, api, admin_client):
    make_inspection(make_batch("RICE-2026-001"))
    run_due_jobs()
    for actor in ("exporter", "qa", "importer", "staff"):
        for combination in itertools.product(
            ("", "status=certified"), ("", "q=rice"), ("", "product=rice"), ("", "origin_country=IN")
        ):
            api[actor].get("/api/v1/batches/?" + "&".join(part for part in combination if part))
        for combination in itertools.product(("", "batch=RICE-2026-001"), ("", "status=active"), ("", "product=rice")):
            api[actor].get("/api/v1/certificates/?" + "&".join(part for part in combination if part))
        for combination in itertools.product(("", "outcome=passed"), ("", "q=rice"), ("", "product=rice")):
            api[actor].get("/api/v1/inspections/?" + "&".join(part for part in combination if part))
        for query in ("", "unread=1"):
            api[actor].get("/api/v1/notifications/?" + query)
    lists = {
        "admin:certificates-batches": [
            "&".join(part for part in combination if part)
            for combination in itertools.product(
                ("", "status=certified"),
                ("", "q=rice"),
                ("", "product=rice"),
                ("", "o=created", "o=-created", "o=number", "o=-number"),
            )
        ],
        "admin:certificates-certificates": ["", "status=active", "q=urn:uuid:x", "status=revoked&q=urn:uuid:x"],
        "admin:certificates-inspections": ["", "outcome=passed"],
        "admin:notifications-list": ["", "recipient=exporter"],
    }
    for name, queries in lists.items():
        for query in queries:
            assert admin_client.get(reverse(name) + "?" + query).status_code == 200

    missing = unserved(recorder)
    assert missing == [], "\n".join(missing)
