"""The admin's lists of batches, inspections and certificates find rows by the number their batch
starts with and by date, as the site's lists do (tests/test_queries_use_indexes.py checks each
combination is served by an index)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from certificates.models import Batch, Certificate, Inspection
from core.clock import utcnow
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def season():
    """Rice this week; coffee certified 40 days ago."""
    issue_certificate(make_inspection(make_batch("RICE-2026-001")))
    coffee = issue_certificate(make_inspection(make_batch("COFFEE-2026-001")))
    long_ago = utcnow() - timedelta(days=40)
    Batch.objects(pk=coffee.batch.pk).update_one(set__created_at=long_ago)
    Inspection.objects(batch=coffee.batch).update(set__inspected_at=long_ago)
    Certificate.objects(pk=coffee.pk).update_one(set__issued_at=long_ago)


@pytest.mark.parametrize(
    "name", ["certificates-batches", "certificates-inspections", "certificates-certificates", "issuance-jobs"]
)
def test_an_admin_list_finds_rows_by_batch_number_prefix_in_any_case(admin_client, season, name):
    page = admin_client.get(reverse(f"admin:{name}") + "?q=coffee").content.decode()
    start = page.index('id="result_list"')
    rows = page[start : page.index("</table>", start)]  # not the job list's summary above it

    assert "COFFEE-2026-001" in rows and "RICE-2026-001" not in rows


@pytest.mark.parametrize("name", ["certificates-batches", "certificates-inspections", "certificates-certificates"])
def test_an_admin_list_shows_the_past_month_and_keeps_the_other_filters_in_its_links(admin_client, season, name):
    page = admin_client.get(reverse(f"admin:{name}") + "?when=30d&q=r").content.decode()

    assert "RICE-2026-001" in page and "COFFEE-2026-001" not in page
    assert 'class="selected"><a href="?when=30d&amp;q=r">Past 30 days' in page
    assert '<a href="?q=r">Any date' in page


def test_a_dated_batch_list_sorted_by_number_is_listed_by_date(admin_client, season):
    make_batch("AAA-2026-001")

    page = admin_client.get(reverse("admin:certificates-batches") + "?when=7d&o=number").content.decode()

    assert page.index("AAA-2026-001") < page.index("RICE-2026-001")  # the newest first, not A before R


def test_a_prefix_too_many_batches_start_with_says_so(admin_client, season, monkeypatch):
    from certificates import listing

    monkeypatch.setattr(listing, "BATCH_MATCHES", 1)
    make_batch("RICE-2026-002")

    page = admin_client.get(reverse("admin:certificates-inspections") + "?q=rice").content.decode()

    assert "More than 1 batches start with “rice”" in page
