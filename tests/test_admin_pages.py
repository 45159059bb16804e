"""The admin's pages for jobs, workers, batches, inspections, certificates and notifications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from certificates.models import Batch
from issuance.models import IssuanceJob, JobStatus
from issuance.worker import Worker
from notifications.models import Notification
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def certified(batch):
    inspection = make_inspection(batch)
    run_due_jobs()
    Worker(poll_interval_ms=20).beat(stopped=True)  # a worker that has come and gone
    return IssuanceJob.objects.get(inspection_id=inspection.pk)


def page_urls(job: IssuanceJob) -> list[str]:
    certificate_id = job.certificate_id
    return [
        reverse("admin:index"),
        reverse("admin:issuance-jobs"),
        reverse("admin:issuance-jobs") + "?status=failed&trigger=automatic&created=7d&o=-batch&q=RICE-2026-001",
        reverse("admin:issuance-jobs") + "?outcome=gave_up&o=nonsense&p=999",
        reverse("admin:issuance-job", args=[job.pk]),
        reverse("admin:issuance-workers"),
        reverse("admin:certificates-batches"),
        reverse("admin:certificates-batches") + "?status=certified&q=RICE",
        reverse("admin:certificates-batch", args=[job.batch_id]),
        reverse("admin:certificates-inspections") + "?outcome=passed",
        reverse("admin:certificates-certificates") + "?status=active",
        reverse("admin:certificates-certificate", args=[certificate_id]),
        reverse("admin:notifications-list") + "?recipient=exporter",
    ]


def test_every_admin_page_renders_for_staff(admin_client, certified):
    for url in page_urls(certified):
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_the_admin_index_lists_the_operations_pages(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()

    for name in ("issuance-jobs", "issuance-workers", "certificates-batches", "certificates-certificates"):
        assert reverse(f"admin:{name}") in html
    assert "Issuance jobs" in html


@pytest.mark.parametrize("name", ["issuance-job", "certificates-batch", "certificates-certificate"])
@pytest.mark.parametrize("bad_id", ["6b0000000000000000000000", "not-an-id"])
def test_unknown_ids_answer_404(admin_client, name, bad_id):
    assert admin_client.get(reverse(f"admin:{name}", args=[bad_id])).status_code == 404


def test_the_job_list_shows_counts_and_filters(admin_client, certified):
    make_inspection(make_batch("COFFEE-9"))  # a pending job

    html = admin_client.get(reverse("admin:issuance-jobs") + "?status=pending").content.decode()

    assert "COFFEE-9" in html and "RICE-2026-001" not in html
    assert ">1</strong>pending" in html and ">1</strong>success" in html
    job = IssuanceJob.objects.get(batch_number="COFFEE-9")
    assert f'<a href="{reverse("admin:issuance-job", args=[job.pk])}" title="batch COFFEE-9, pending">' in html
    assert "</strong>oldest due</a>" in html


def test_the_job_list_is_paginated_on_the_server(admin_client, batch):
    inspection = make_inspection(batch)
    IssuanceJob._get_collection().insert_many(
        [
            {
                "status": "success",
                "dedupe_key": f"bulk:{n}",
                "batch_id": batch.pk,
                "batch_number": f"BULK-{n:05d}",
                "inspection_id": inspection.pk,
                "revision": n + 1,
                "trigger": "api",
                "attempt_count": 1,
                "max_attempts": 3,
                "attempts_left": 2,
                "created_at": IssuanceJob.objects.first().created_at,
                "updated_at": IssuanceJob.objects.first().created_at,
                "errors": [],
            }
            for n in range(600)
        ]
    )

    response = admin_client.get(reverse("admin:issuance-jobs") + "?o=batch&p=3")

    html = response.content.decode()
    assert "Page 3 of 13" in html and "601 in all" in html
    assert "BULK-00100" in html and "BULK-00099" not in html and "BULK-00150" not in html
    assert len(response.context["jobs"]) == 50


def test_the_job_detail_shows_batch_attempts_timeline_and_certificate(admin_client, certified):
    html = admin_client.get(reverse("admin:issuance-job", args=[certified.pk])).content.decode()

    assert "RICE-2026-001" in html and "Basmati 1121" in html
    assert "National QA Agency" in html
    assert reverse("admin:certificates-certificate", args=[certified.certificate_id]) in html
    assert "Created" in html and "Finished" in html and "Expires" in html


def test_the_certificate_page_shows_credential_qr_and_verification(admin_client, batch):
    certificate = issue_certificate(make_inspection(batch))

    html = admin_client.get(reverse("admin:certificates-certificate", args=[certificate.pk])).content.decode()

    assert "<svg" in html and certificate.credential_id in html
    assert "Ed25519Signature2020" in html
    assert 'class="ok">valid' in html
    assert "Revoke this certificate" in html


def test_secrets_never_appear_in_the_admin(admin_client, certified, settings):
    settings.INJI_API_KEY = "super-secret-inji-key-7731"
    IssuanceJob.objects.update(set__status=JobStatus.FAILED)

    for url in page_urls(certified):
        assert "super-secret-inji-key-7731" not in admin_client.get(url).content.decode(), url


def test_the_workers_panel_lists_heartbeats(admin_client, certified):
    html = admin_client.get(reverse("admin:issuance-workers")).content.decode()

    assert "stopped" in html  # the worker that issued the certificate has exited


def test_notifications_can_be_browsed(admin_client, certified):
    html = admin_client.get(reverse("admin:notifications-list")).content.decode()

    assert Notification.objects.count() == 1
    assert "Certificate ready for batch RICE-2026-001" in html
    assert Batch.objects.count() == 1


def test_lists_never_load_the_whole_collection(admin_client, monkeypatch):
    from mongoengine.queryset.queryset import QuerySet

    for n in range(60):
        make_inspection(make_batch(f"MANY-{n:02d}"))

    def refuse(self):
        raise AssertionError("len() loads every document")

    monkeypatch.setattr(QuerySet, "__len__", refuse)

    assert "Page 2 of 2" in admin_client.get(reverse("admin:issuance-jobs") + "?p=2").content.decode()
    assert admin_client.get(reverse("admin:certificates-batches") + "?p=2").status_code == 200


def test_the_job_list_has_a_cell_under_every_header_and_checkboxes_only_where_retry_applies(admin_client, certified):
    import re

    make_inspection(make_batch("PENDING-1"))
    html = admin_client.get(reverse("admin:issuance-jobs")).content.decode()
    start = html.index('<table id="result_list"')
    table = html[start : html.index("</table>", start)]
    headers = len(re.findall(r"<th scope=\"col\"", table))
    rows = re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :], re.S)

    assert rows and all(len(re.findall(r"<t[hd][ >]", row)) == headers for row in rows)
    assert 'name="ids"' not in table  # a success and a pending job: nothing to retry
