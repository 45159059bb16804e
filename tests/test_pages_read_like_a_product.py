"""The pages speak to people: names instead of codes, dates in words, friendly errors, no contradictions."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(actors):
    clients = {"anonymous": Client()}
    for name in ("exporter", "qa", "importer"):
        clients[name] = Client()
        clients[name].force_login(actors[name])
    return clients


def text_of(response) -> str:
    return text_of_html(response.content.decode())


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_batch_page_uses_country_names_dates_in_words_and_plain_statuses(pages):
    make_inspection(make_batch("RICE-7", quantity=12500), notes="Sampled 12 bags")

    page = text_of(pages["qa"].get("/batches/RICE-7/"))

    assert "India" in page and "Germany" in page and "12,500 kg" in page
    assert "Sampled 12 bags" in page
    assert "certificate being issued" in page and "awaiting_certificate" not in page
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page)


def test_a_certified_batch_offers_a_re_test_that_says_what_it_does(pages):
    issue_certificate(make_inspection(make_batch("RICE-8")))

    page = text_of(pages["qa"].get("/batches/RICE-8/"))
    form = text_of(pages["qa"].get("/batches/RICE-8/inspect/"))

    assert "Record a re-test" in page and "A failed re-test revokes the certificate" in page
    assert "A failed re-test revokes its certificate at once" in form


def test_not_found_and_forbidden_pages_are_friendly_with_the_site_navigation(pages):
    make_batch("RICE-9", exporter="other_exporter")

    missing = pages["importer"].get("/batches/RICE-9/")
    forbidden = pages["importer"].get("/batches/new/")

    assert missing.status_code == 404 and "Nothing here" in text_of(missing) and "URLconf" not in text_of(missing)
    assert forbidden.status_code == 403 and "You may not do that" in text_of(forbidden)
    assert "Verify a certificate" in text_of(missing)


def test_every_page_names_its_favicon(pages):
    assert 'rel="icon"' in pages["anonymous"].get("/verify/").content.decode()


def test_something_that_is_not_a_credential_gets_no_green_tick(pages):
    html = pages["anonymous"].post("/verify/", {"text": '{"foo": 1}'}).content.decode()

    assert "This certificate is NOT valid." in text_of_html(html)
    assert 'class="check-ok"' not in html
