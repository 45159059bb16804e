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


def rows_of(page: str) -> str:
    start = page.index('id="result_list"')
    return page[start : page.index("</table>", start)]


def test_a_dated_batch_list_keeps_the_order_chosen_by_its_column_header(admin_client, season):
    make_batch("ZZZ-2026-001")  # the newest: first by date, last by number
    batches = reverse("admin:certificates-batches")

    by_number = rows_of(admin_client.get(batches + "?when=7d&o=number").content.decode())
    by_number_reversed = rows_of(admin_client.get(batches + "?when=7d&o=-number").content.decode())

    assert by_number.index("RICE-2026-001") < by_number.index("ZZZ-2026-001")
    assert by_number_reversed.index("ZZZ-2026-001") < by_number_reversed.index("RICE-2026-001")
    assert "COFFEE-2026-001" not in by_number + by_number_reversed  # 40 days old


def test_the_batch_lists_period_header_and_search_links_keep_the_order_and_the_period(admin_client, season):
    page = admin_client.get(reverse("admin:certificates-batches") + "?when=7d&o=number").content.decode()

    assert '<a href="?when=30d&amp;o=number">Past 30 days' in page
    assert '<a href="?o=number">Any date' in page
    assert 'aria-sort="ascending" class="sorted"><a href="?when=7d&amp;o=-number">Batch' in page
    assert 'aria-sort="none"><a href="?when=7d&amp;o=created">Created' in page
    assert '<input type="hidden" name="when" value="7d"><input type="hidden" name="o" value="number">' in page


def test_a_period_with_more_batches_than_can_be_sorted_by_number_is_listed_by_date_and_says_so(
    admin_client, season, monkeypatch
):
    from certificates import listing

    monkeypatch.setattr(listing, "BATCH_MATCHES", 1)
    make_batch("ZZZ-2026-001")

    page = admin_client.get(reverse("admin:certificates-batches") + "?when=7d&o=number").content.decode()

    assert "More than 1 batches were created in this period: they are listed newest first" in page
    assert rows_of(page).index("ZZZ-2026-001") < rows_of(page).index("RICE-2026-001")
    assert 'aria-sort="descending" class="sorted"><a href="?when=7d&amp;o=created">Created' in page


def test_a_prefix_too_many_batches_start_with_says_so(admin_client, season, monkeypatch):
    from certificates import listing

    monkeypatch.setattr(listing, "BATCH_MATCHES", 1)
    make_batch("RICE-2026-002")

    page = admin_client.get(reverse("admin:certificates-inspections") + "?q=rice").content.decode()

    assert "More than 1 batches start with “rice”" in page
