"""Every list page and API list costs the same number of queries with 5 rows as with 50.

MongoDB commands are counted where they leave the app: at the embedded client (a `find` when its
cursor first fetches, as a server sees it; every other command when it is called) or, with
MONGODB_TEST_URI, by a pymongo CommandListener. SQL queries (sessions, users, roles) are counted
too. A reference loaded per row (`certificate.batch` in a template or serializer) or a status asked
per row shows up here as a count that grows with the rows.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import mongomock
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from mongomock.collection import Cursor
from pymongo import monitoring

from certificates.models import Batch, Certificate, CertificateStatus, Inspection
from core import embedded
from core.clock import utcnow
from issuance import queue
from notifications.delivery import STAFF, notify
from notifications.models import NotificationKind
from tests.conftest import MONGODB_TEST_URI
from tests.factories import make_batch, make_inspection

pytestmark = pytest.mark.django_db

COMMANDS = {"find", "aggregate", "count", "distinct", "insert", "update", "delete", "findAndModify"}
# Collection methods that send a command at once; find() sends one when its cursor first fetches.
IMMEDIATE = {
    "find_one": "find",
    "count_documents": "aggregate",
    "estimated_document_count": "count",
    "aggregate": "aggregate",
    "distinct": "distinct",
    "insert_one": "insert",
    "insert_many": "insert",
    "update_one": "update",
    "update_many": "update",
    "replace_one": "update",
    "delete_one": "delete",
    "delete_many": "delete",
    "find_one_and_update": "findAndModify",
    "find_one_and_replace": "findAndModify",
    "find_one_and_delete": "findAndModify",
}


class Commands(monitoring.CommandListener):
    """MongoDB commands sent while `counting()`, by (collection, command)."""

    def __init__(self) -> None:
        self.seen: Counter = Counter()
        self.on = False

    def note(self, collection: str, command: str) -> None:
        if self.on:
            self.seen[(collection, command)] += 1

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in COMMANDS:
            self.note(str(event.command.get(event.command_name)), event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @contextmanager
    def counting(self):
        self.seen.clear()
        self.on = True
        try:
            yield self
        finally:
            self.on = False

    @property
    def total(self) -> int:
        return sum(self.seen.values())


# Clients made from here on report to it: the real server's, which each test connects anew.
COMMANDS_SENT = Commands()
monitoring.register(COMMANDS_SENT)


@pytest.fixture
def commands(monkeypatch) -> Commands:
    if MONGODB_TEST_URI:
        return COMMANDS_SENT
    locked = embedded._Locked
    plain_getattr, plain_next, plain_getitem = locked.__getattr__, locked.__next__, locked.__getitem__
    plain_find_one_and_update, plain_aggregate = locked.find_one_and_update, locked.aggregate

    def target(proxy):
        return object.__getattribute__(proxy, "_target")

    def first_fetch(proxy) -> None:
        cursor = target(proxy)
        if isinstance(cursor, Cursor) and not vars(cursor).get("_counted"):
            cursor._counted = True
            COMMANDS_SENT.note(cursor.collection.name, "find")

    def getattr_(proxy, name):
        if isinstance(target(proxy), mongomock.Collection) and name in IMMEDIATE:
            COMMANDS_SENT.note(target(proxy).name, IMMEDIATE[name])
        if isinstance(target(proxy), mongomock.Database) and name == "dereference":
            COMMANDS_SENT.note("(dereference)", "find")
        return plain_getattr(proxy, name)

    def next_(proxy):
        first_fetch(proxy)
        return plain_next(proxy)

    def getitem(proxy, key):
        first_fetch(proxy)
        return plain_getitem(proxy, key)

    def find_one_and_update(proxy, *args, **kwargs):
        COMMANDS_SENT.note(target(proxy).name, "findAndModify")
        return plain_find_one_and_update(proxy, *args, **kwargs)

    def aggregate(proxy, *args, **kwargs):
        COMMANDS_SENT.note(target(proxy).name, "aggregate")
        return plain_aggregate(proxy, *args, **kwargs)

    monkeypatch.setattr(locked, "__getattr__", getattr_)
    monkeypatch.setattr(locked, "__next__", next_)
    monkeypatch.setattr(locked, "__getitem__", getitem)
    monkeypatch.setattr(locked, "find_one_and_update", find_one_and_update)
    monkeypatch.setattr(locked, "aggregate", aggregate)
    return COMMANDS_SENT


MAIN = "<main>"  # the id of batch MAIN, in a URL


def a_certificate(inspection: Inspection, n: int, *, status: str = CertificateStatus.ACTIVE) -> Certificate:
    """A stored certificate as lists see it (no list reads the credential itself)."""
    return Certificate(
        certificate_key=f"{inspection.pk}:{n}",
        batch=inspection.batch,
        inspection=inspection,
        exporter=inspection.batch.exporter,
        revision=n,
        credential_json="{}",
        credential_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}-{inspection.pk}",
        issuer_did="did:key:z6MkTest",
        issued_via="mock",
        issued_at=utcnow() - timedelta(minutes=n),
        status=status,
        shared_with=["importer"],
    ).save(force_insert=True)


def add_rows(first: int, last: int) -> None:
    """Rows `first`..`last - 1` of every list: a certified batch of `exporter` shared with `importer`,
    its inspection, job and notifications; a batch waiting for inspection; and a re-test, a revoked
    certificate and a job of batch MAIN."""
    main = Batch.objects.get(batch_number="MAIN")
    for n in range(first, last):
        batch = make_batch(f"B-{n:03d}")
        inspection = make_inspection(batch)  # the hook enqueues its job
        a_certificate(inspection, n)
        for recipient in ("exporter", "importer", STAFF):
            notify(recipient, NotificationKind.CERTIFICATE_READY, f"Certificate {n}", "Ready.", batch_id=batch.pk)
        make_batch(f"WAIT-{n:03d}", exporter="other_exporter")
        retest = make_inspection(main, inspector="qa", inspected_at=utcnow() - timedelta(hours=2, minutes=n))
        a_certificate(retest, n, status=CertificateStatus.REVOKED)
        queue.enqueue(retest, trigger="api", revision=n + 1)


PAGES = [
    # actor, url, and a text each row shows (so the test knows that a full page of rows is shown)
    pytest.param("exporter", "/", "/batches/B-", id="dashboard-exporter"),
    pytest.param("qa", "/", "WAIT-", id="dashboard-qa"),
    pytest.param("importer", "/", "/certificates/", id="dashboard-importer"),
    pytest.param("staff", "/", "WAIT-", id="dashboard-staff"),
    pytest.param("exporter", "/batches/", "/batches/B-", id="batches-exporter"),
    pytest.param("exporter", "/batches/?q=b-&country=IN&sort=oldest", "/batches/B-", id="batches-searched"),
    pytest.param("exporter", "/batches/?product=rice&since=2000-01-01", "/batches/B-", id="batches-by-product"),
    pytest.param("qa", "/batches/", 'data-label="Batch"', id="batches-qa"),
    pytest.param("qa", "/inspections/to-do/", "WAIT-", id="inspection-queue"),
    pytest.param("qa", "/inspections/", "/batches/MAIN/", id="inspection-history"),
    pytest.param("qa", "/inspections/?q=main&status=passed", "/batches/MAIN/", id="inspection-history-searched"),
    pytest.param("qa", "/inspections/?product=rice", "/batches/MAIN/", id="inspection-history-by-product"),
    pytest.param("exporter", "/certificates/", "/certificates/", id="certificates-exporter"),
    pytest.param("exporter", "/certificates/?q=b-&status=active", "/certificates/", id="certificates-searched"),
    pytest.param("exporter", "/certificates/?product=rice", "/certificates/", id="certificates-by-product"),
    pytest.param("importer", "/certificates/shared/", "/certificates/", id="certificates-shared"),
    pytest.param("exporter", "/notifications/", "Ready.", id="notifications"),
    pytest.param("qa", "/batches/MAIN/", ", issued ", id="batch-page"),
    pytest.param("staff", "/admin/certificates/batches/", "/admin/certificates/batches/", id="admin-batches"),
    pytest.param("staff", "/admin/certificates/batches/?q=b-&o=number", ">B-0", id="admin-batches-searched"),
    pytest.param("staff", "/admin/certificates/batches/?product=rice&o=number", ">B-0", id="admin-batches-by-product"),
    pytest.param("staff", f"/admin/certificates/batches/{MAIN}/", '"Outcome">passed</td>', id="admin-batch"),
    pytest.param("staff", "/admin/certificates/inspections/", '"Outcome">passed</td>', id="admin-inspections"),
    pytest.param("staff", "/admin/certificates/certificates/", "urn:uuid:", id="admin-certificates"),
    pytest.param("staff", "/admin/issuance/jobs/", "status-pending", id="admin-jobs"),
    pytest.param("staff", "/admin/issuance/jobs/?status=pending&o=batch", "status-pending", id="admin-jobs-filtered"),
    pytest.param("staff", "/admin/notifications/", "Ready.", id="admin-notifications"),
]
API_LISTS = [
    pytest.param("exporter", "/api/v1/batches/", id="batches-exporter"),
    pytest.param("qa", "/api/v1/batches/?status=awaiting_certificate", id="batches-qa"),
    pytest.param("qa", "/api/v1/batches/?product=rice&origin_country=IN&since=2000-01-01", id="batches-filtered"),
    pytest.param("qa", "/api/v1/batches/MAIN/inspections/", id="inspections"),
    pytest.param("exporter", "/api/v1/certificates/", id="certificates-exporter"),
    pytest.param("importer", "/api/v1/certificates/", id="certificates-importer"),
    pytest.param("staff", "/api/v1/certificates/", id="certificates-staff"),
    pytest.param("staff", "/api/v1/certificates/?product=rice&order=oldest", id="certificates-staff-by-product"),
    pytest.param("exporter", "/api/v1/certificates/?q=b-&product=rice", id="certificates-exporter-searched"),
    pytest.param("qa", "/api/v1/inspections/?product=rice", id="inspection-history"),
    pytest.param("exporter", "/api/v1/certificates/?batch=MAIN", id="certificates-of-a-batch"),
    pytest.param("staff", "/api/v1/notifications/", id="notifications"),
]


def cost(client, url: str, commands: Commands):
    client.get(url)  # a first visit: sessions and caches settle
    with commands.counting(), CaptureQueriesContext(connection) as sql:
        response = client.get(url)
    assert response.status_code == 200, url
    return (commands.total, len(sql)), Counter(commands.seen), response


def costs_with_5_and_50_rows(client, url: str, commands: Commands):
    add_rows(0, 5)
    five, five_commands, _ = cost(client, url, commands)
    add_rows(5, 50)
    fifty, fifty_commands, response = cost(client, url, commands)
    return five, fifty, f"5 rows: {dict(five_commands)}; 50 rows: {dict(fifty_commands)}", response


@pytest.mark.parametrize(("actor", "url", "row"), PAGES)
def test_a_page_costs_the_same_queries_with_5_and_50_rows(actor, url, row, actors, commands):
    client = Client()
    client.force_login(actors[actor])
    url = url.replace(MAIN, str(make_batch("MAIN").pk))

    five, fifty, detail, response = costs_with_5_and_50_rows(client, url, commands)

    # The dashboard previews each list (its first rows, its total and a link); the lists show pages of 25.
    assert response.content.decode().count(row) >= (5 if url == "/" else 25), "the page must show its rows"
    assert fifty == five, f"(MongoDB commands, SQL queries) for {url}: {five} with 5 rows, {fifty} with 50. {detail}"


@pytest.mark.parametrize(("actor", "url"), API_LISTS)
def test_an_api_list_costs_the_same_queries_with_5_and_50_rows(actor, url, api, commands):
    make_batch("MAIN")
    url += ("&" if "?" in url else "?") + "page_size=100"

    five, fifty, detail, response = costs_with_5_and_50_rows(api[actor], url, commands)

    assert len(response.json()["results"]) >= 50, "the list must show the rows it is measured with"
    assert fifty == five, f"(MongoDB commands, SQL queries) for {url}: {five} with 5 rows, {fifty} with 50. {detail}"


def test_the_batch_page_shows_every_inspection_and_certificate_in_one_query_each(actors, commands):
    client = Client()
    client.force_login(actors["exporter"])
    make_batch("MAIN")
    add_rows(0, 50)

    with commands.counting():
        page = client.get("/batches/MAIN/").content.decode()

    assert page.count(", issued ") == 50 and page.count('class="badge passed"') == 50
    assert commands.seen[("inspections", "find")] == 1
    # its certificates' list, and the latest of them for the issuance status
    assert commands.seen[("certificates", "find")] == 2
