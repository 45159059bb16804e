"""Every list finds batches by their product as a person types it: "coffee" finds "Arabica coffee
beans" and "COFFEE" — any word of the product, from its start, in any case — on the pages, in the API
and in the admin (tests/test_queries_use_indexes.py checks that each search is served by an index)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from certificates import listing
from certificates.models import Batch, Certificate
from core.clock import utcnow
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db

PRODUCTS = {
    "ETH-001": "Arabica coffee beans",
    "COL-002": "COFFEE",
    "KEN-003": "Coffee-cherry (dried)",
    "IND-004": "Basmati rice",
    "GHA-005": "Cocoa",
    "DEC-006": "Decoffeinated tea",
}


@pytest.fixture
def harvest():
    """Six batches of `exporter`, one a day in PRODUCTS' order (the last the newest)."""
    start = utcnow() - timedelta(days=len(PRODUCTS))
    for n, (number, product) in enumerate(PRODUCTS.items()):
        batch = make_batch(number, product=product)
        Batch.objects(pk=batch.pk).update_one(set__created_at=start + timedelta(days=n))


def browser(actors, name: str) -> Client:
    client = Client()
    client.force_login(actors[name])
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def batch_numbers(html: str) -> list[str]:
    return [number for number in re.findall(r'href="/batches/([^/"]+)/"', html) if number != "new"]


def test_a_search_for_coffee_lists_every_coffee_batch_and_their_total(actors, harvest):
    html = page(browser(actors, "exporter"), "/batches/?product=coffee")

    assert batch_numbers(html) == ["KEN-003", "COL-002", "ETH-001"]
    assert "<strong>3 batches</strong> matching your search" in html
    assert 'name="product" value="coffee"' in html and "Clear search and filters" in html


@pytest.mark.parametrize(
    "typed, found",
    [
        ("COFFEE", ["KEN-003", "COL-002", "ETH-001"]),
        ("ＣＯＦＦＥＥ", ["KEN-003", "COL-002", "ETH-001"]),  # full-width letters, as some keyboards type them
        ("coffee be", ["ETH-001"]),  # a word, then the start of the next
        ("coffee, cherry", ["KEN-003"]),  # punctuation is a space
        ("rice", ["IND-004"]),
        ("beans", ["ETH-001"]),
        ("co", ["GHA-005", "KEN-003", "COL-002", "ETH-001"]),
        ("offee", []),  # a word's start, not any part of it
        ("beans coffee", []),  # words in the product's order
    ],
)
def test_a_product_is_found_by_the_start_of_any_of_its_words_in_any_case(actors, harvest, typed, found):
    html = page(browser(actors, "exporter"), "/batches/?" + f"product={typed}")

    assert batch_numbers(html) == found


def test_number_product_status_and_origin_narrow_together(actors, harvest):
    Batch.objects(batch_number="KEN-003").update_one(set__origin_country="KE")

    html = page(browser(actors, "qa"), "/batches/?q=ken&product=coffee&country=KE&status=submitted&sort=oldest")

    assert batch_numbers(html) == ["KEN-003"] and "<strong>1 batch</strong>" in html


def test_the_inspection_queue_and_history_find_batches_by_product(actors, harvest):
    make_inspection(Batch.objects.get(batch_number="IND-004"), inspector="qa", outcome="failed")
    make_inspection(Batch.objects.get(batch_number="ETH-001"), inspector="qa", outcome="failed")
    qa = browser(actors, "qa")

    queue = page(qa, "/inspections/to-do/?product=coffee")
    history = page(qa, "/inspections/?product=rice")

    assert batch_numbers(queue) == ["ETH-001", "COL-002", "KEN-003"]  # oldest first, re-test included
    assert batch_numbers(history) == ["IND-004"] and "<strong>1 inspection</strong>" in history


def test_certificates_are_found_by_their_batch_product_by_exporter_and_importer(actors, harvest):
    for number in ("ETH-001", "IND-004"):
        issue_certificate(make_inspection(Batch.objects.get(batch_number=number)))
    Certificate.objects.update(add_to_set__shared_with="importer")

    own = page(browser(actors, "exporter"), "/certificates/?product=Coffee")
    shared = page(browser(actors, "importer"), "/certificates/shared/?product=rice")

    assert "<strong>1 certificate</strong>" in own and "ETH-001" in own and "IND-004" not in own
    assert "<strong>1 certificate</strong>" in shared and "IND-004" in shared and "ETH-001" not in shared


def test_the_api_lists_find_batches_certificates_and_inspections_by_product(api, harvest):
    issue_certificate(make_inspection(Batch.objects.get(batch_number="ETH-001"), inspector="qa"))
    make_inspection(Batch.objects.get(batch_number="IND-004"), inspector="qa", outcome="failed")

    batches = api["exporter"].get("/api/v1/batches/?product=coffee").json()
    certificates = api["exporter"].get("/api/v1/certificates/?product=ARABICA").json()
    everyone_s = api["staff"].get("/api/v1/certificates/?product=coffee&status=active").json()
    inspections = api["qa"].get("/api/v1/inspections/?product=rice&outcome=failed").json()

    assert batches["count"] == 3
    assert [batch["batch_number"] for batch in batches["results"]] == ["KEN-003", "COL-002", "ETH-001"]
    assert [certificate["batch_number"] for certificate in certificates["results"]] == ["ETH-001"]
    assert everyone_s["count"] == 1
    assert [inspection["batch_number"] for inspection in inspections["results"]] == ["IND-004"]


def test_a_search_of_everyone_s_certificates_that_too_many_batches_meet_is_refused(api, harvest, monkeypatch):
    monkeypatch.setattr(listing, "BATCH_MATCHES", 2)

    broad = api["staff"].get("/api/v1/certificates/?product=coffee")
    narrow = api["staff"].get("/api/v1/certificates/?product=coffee+cherry")
    own = api["exporter"].get("/api/v1/certificates/?product=coffee")  # one exporter's: no cap
    one_batch = api["staff"].get("/api/v1/certificates/?batch=ETH-001&product=coffee")

    assert broad.status_code == 400
    assert broad.json() == {"product": ["More than 2 batches match: search for a longer prefix or another word."]}
    assert narrow.status_code == own.status_code == one_batch.status_code == 200


def test_the_admin_batch_list_finds_batches_by_product(admin_client, harvest):
    url = reverse("admin:certificates-batches")

    found = admin_client.get(url + "?product=coffee&o=number").content.decode()
    dated = admin_client.get(url + "?product=coffee&when=7d&status=submitted").content.decode()

    rows = re.findall(r">([A-Z]{3}-00\d)</a></th>", found)
    assert rows == ["COL-002", "ETH-001", "KEN-003"]
    assert re.findall(r">([A-Z]{3}-00\d)</a></th>", dated) == ["KEN-003", "COL-002", "ETH-001"]
    assert 'name="product" value="coffee"' in found


def test_a_batch_stored_with_a_new_product_spelling_is_found_by_it():
    batch = make_batch("PEP-001", product="Black pepper")
    batch.product = "Tellicherry pepper"
    batch.save()

    assert [found.batch_number for found in Batch.with_product(Batch.objects, "tellicherry")] == ["PEP-001"]
    assert list(Batch.with_product(Batch.objects, "black")) == []
