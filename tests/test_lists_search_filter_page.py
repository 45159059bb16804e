"""Every list a person sees can be searched, filtered, sorted and paged, with its total; the dashboard
shows previews that say how many there are and link to the whole list — nothing is cut silently."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from certificates.models import Batch, Certificate
from core.clock import utcnow
from notifications.delivery import notify
from notifications.models import NotificationKind
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def browsers(actors):
    clients = {}
    for name, user in actors.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def batch_numbers(html: str) -> list[str]:
    return [number for number in re.findall(r'href="/batches/([^/"]+)/"', html) if number != "new"]


def a_season(count: int, *, prefix: str = "RICE", exporter: str = "exporter") -> list[Batch]:
    """`count` batches, one a day, the newest first made last."""
    start = utcnow() - timedelta(days=count)
    batches = []
    for n in range(count):
        batch = make_batch(f"{prefix}-{n:03d}", exporter=exporter)
        Batch.objects(pk=batch.pk).update_one(set__created_at=start + timedelta(days=n))
        batches.append(batch)
    return batches


def test_an_exporter_pages_through_every_one_of_their_batches_with_the_total_shown(browsers):
    a_season(30)
    make_batch("RIVAL-001", exporter="other_exporter")

    first = page(browsers["exporter"], "/batches/")
    second = page(browsers["exporter"], "/batches/?page=2")

    assert "Showing 1–25 of <strong>30 batches</strong>" in first
    assert batch_numbers(first)[:2] == ["RICE-029", "RICE-028"]  # newest first
    assert 'rel="next" href="?page=2"' in first
    assert "Showing 26–30 of" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert sorted(batch_numbers(first) + batch_numbers(second)) == [f"RICE-{n:03d}" for n in range(30)]
    assert "RIVAL" not in first + second


def test_batches_are_searched_by_number_prefix_in_any_case_and_filtered_by_status_country_and_date(browsers):
    a_season(4)
    coffee = make_batch("COFFEE-001", origin_country="CO")
    Batch.objects(pk=coffee.pk).update_one(set__status="certified")
    exporter = browsers["exporter"]

    assert batch_numbers(page(exporter, "/batches/?q=rice-00")) == ["RICE-003", "RICE-002", "RICE-001", "RICE-000"]
    assert batch_numbers(page(exporter, "/batches/?status=certified")) == ["COFFEE-001"]
    assert batch_numbers(page(exporter, "/batches/?country=CO")) == ["COFFEE-001"]
    typed_in_a_link = page(exporter, "/batches/?country=co")
    assert batch_numbers(typed_in_a_link) == ["COFFEE-001"]
    assert '<option value="CO" selected>Colombia</option>' in typed_in_a_link  # the filter shows what it applied
    assert batch_numbers(page(exporter, "/batches/?q=rice&sort=oldest"))[0] == "RICE-000"
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    assert "COFFEE-001" in batch_numbers(page(exporter, f"/batches/?since={since}"))
    assert "RICE-000" not in batch_numbers(page(exporter, f"/batches/?since={since}"))
    filtered = page(exporter, "/batches/?q=TEA")
    assert "No batches match your search." in filtered and "Clear search and filters" in filtered


def test_a_filter_with_a_mistake_says_so_beside_it_and_filters_nothing(browsers):
    a_season(2)

    html = page(browsers["exporter"], "/batches/?since=yesterday&page=99")
    backwards = page(browsers["exporter"], "/batches/?since=2026-05-02&until=2026-05-01")

    assert "Enter a date as YYYY-MM-DD, e.g. 2026-03-31." in html
    assert "<strong>2 batches</strong>" in html  # a page past the end shows the last page
    assert "This ends before it starts: choose a date on or after 2026-05-02." in backwards
    assert "<strong>2 batches</strong>" in backwards


def test_the_dashboard_previews_each_list_and_links_to_all_of_it(browsers):
    a_season(8)

    html = page(browsers["exporter"], "/")

    assert len(batch_numbers(html)) == 5
    assert 'href="/batches/">All 8 batches →</a>' in html


def test_qa_sees_every_batch_and_records_a_re_test_of_a_certified_one(browsers):
    certified = make_batch("RICE-001")
    issue_certificate(make_inspection(certified, inspector="qa"))
    make_batch("SPICE-001", exporter="other_exporter")

    html = page(browsers["qa"], "/batches/?q=rice")

    assert Batch.objects.get(batch_number="RICE-001").status == "certified"
    assert batch_numbers(html) == ["RICE-001"]
    assert 'href="/batches/RICE-001/inspect/">Record a re-test</a>' in html
    assert "<strong>2 batches</strong>" in page(browsers["qa"], "/batches/")


def test_an_inspector_keeps_a_history_of_what_they_inspected_after_it_passes(browsers):
    passed = make_batch("RICE-001")
    issue_certificate(make_inspection(passed, inspector="qa"))
    make_inspection(make_batch("COFFEE-001"), inspector="qa", outcome="failed")
    make_inspection(make_batch("TEA-001"), inspector="someone_else")

    history = page(browsers["qa"], "/inspections/")
    failed = page(browsers["qa"], "/inspections/?status=failed")
    searched = page(browsers["qa"], "/inspections/?q=ric")
    dashboard = page(browsers["qa"], "/")

    assert "<strong>2 inspections</strong>" in history and "TEA-001" not in history
    assert batch_numbers(failed) == ["COFFEE-001"]
    assert batch_numbers(searched) == ["RICE-001"]
    assert "Your recent inspections" in dashboard and "/batches/RICE-001/inspect/" in dashboard


def test_the_inspection_queue_is_oldest_first_and_filtered_to_what_waits(browsers):
    a_season(3, prefix="WAIT")
    Batch.objects(batch_number="WAIT-001").update_one(set__status="inspection_failed")
    Batch.objects(batch_number="WAIT-002").update_one(set__status="certified")

    queue = page(browsers["qa"], "/inspections/to-do/")
    retests = page(browsers["qa"], "/inspections/to-do/?status=inspection_failed")

    assert batch_numbers(queue) == ["WAIT-000", "WAIT-001"]
    assert batch_numbers(retests) == ["WAIT-001"]
    assert page(browsers["exporter"], "/inspections/to-do/").count("Nothing to inspect.") == 1


def test_certificates_are_listed_searched_and_filtered_for_their_exporter_and_importer(browsers):
    for number in ("RICE-001", "RICE-002", "COFFEE-001"):
        issue_certificate(make_inspection(make_batch(number)))
    Certificate.objects(batch=Batch.objects.get(batch_number="RICE-001")).update(set__status="revoked")
    Certificate.objects(batch=Batch.objects.get(batch_number="RICE-002")).update(add_to_set__shared_with="importer")

    own = page(browsers["exporter"], "/certificates/")
    revoked = page(browsers["exporter"], "/certificates/?status=revoked")
    rice = page(browsers["exporter"], "/certificates/?q=RICE")
    shared = page(browsers["importer"], "/certificates/shared/")

    assert "<strong>3 certificates</strong>" in own
    assert "RICE-001" in revoked and "RICE-002" not in revoked
    assert "<strong>2 certificates</strong>" in rice and "COFFEE" not in rice
    assert "<strong>1 certificate</strong>" in shared and "RICE-002" in shared and "COFFEE" not in shared
    assert "<strong>0" not in page(browsers["other_exporter"], "/certificates/")


def test_notifications_are_paged_and_filtered_to_the_unread(browsers):
    for n in range(30):
        notify("exporter", NotificationKind.CERTIFICATE_READY, f"Certificate {n:02d}", "Ready.")
    browsers["exporter"].post("/notifications/read/")
    notify("exporter", NotificationKind.CERTIFICATE_READY, "Certificate new", "Ready.")

    everything = page(browsers["exporter"], "/notifications/")
    unread = page(browsers["exporter"], "/notifications/?unread=on")
    dashboard = page(browsers["exporter"], "/")

    assert "Showing 1–25 of <strong>31 notifications</strong>" in everything
    assert "<strong>1 notification</strong>" in unread and "Certificate new" in unread
    assert 'href="/notifications/">All 31 notifications →</a>' in dashboard
