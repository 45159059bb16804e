"""The API answers bad input with 400 and field errors, unknown ids with 404, and never 500."""

from __future__ import annotations

import json

import pytest

from certificates.models import Batch, BatchStatus, Certificate, Inspection
from issuance.models import IssuanceJob
from notifications.models import Notification
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db

GOOD_BATCH = {
    "batch_number": "RICE-2026-777",
    "product": "Rice",
    "variety": "Basmati",
    "hs_code": "1006.30",
    "quantity": 1200.5,
    "unit": "kg",
    "origin_country": "in",
    "origin_region": "Punjab",
    "harvest_date": "2026-10-01",
    "destination_country": "DE",
}


def test_an_exporter_submits_a_batch_under_their_organisation(api):
    response = api["exporter"].post("/api/v1/batches/", GOOD_BATCH, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["exporter"] == "exporter" and body["exporter_name"] == "Green Valley Exports Pvt Ltd"
    assert body["origin_country"] == "IN" and body["status"] == "submitted"
    assert Batch.objects.get(batch_number="RICE-2026-777").quantity == 1200.5


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"batch_number": "has space"}, "batch_number"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"unit": "barrel"}, "unit"),
        ({"origin_country": "XX"}, "origin_country"),
        ({"hs_code": "rice"}, "hs_code"),
        ({"harvest_date": "2999-01-01"}, "harvest_date"),
        ({"harvest_date": "yesterday"}, "harvest_date"),
        ({"product": ""}, "product"),
    ],
)
def test_bad_batch_fields_get_a_400_naming_the_field(api, changes, field):
    response = api["exporter"].post("/api/v1/batches/", {**GOOD_BATCH, **changes}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Batch.objects.count() == 0


def test_a_duplicate_batch_number_is_a_field_error(api):
    make_batch("RICE-2026-777")

    response = api["exporter"].post("/api/v1/batches/", GOOD_BATCH, format="json")

    assert response.status_code == 400
    assert response.json() == {"batch_number": ["A batch with this number exists already."]}


def test_malformed_json_is_a_400(api):
    response = api["exporter"].post("/api/v1/batches/", "{not json", content_type="application/json")

    assert response.status_code == 400


def test_a_qa_agency_records_a_passing_inspection_which_enqueues_issuance(api):
    make_batch("RICE-1")

    response = api["qa"].post(
        "/api/v1/batches/RICE-1/inspections/",
        {"moisture_percent": 12.1, "pesticide_residue_mg_per_kg": 0.02, "grade": "A", "outcome": "passed"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["agency"] == "National QA Agency" and response.json()["inspector"] == "qa"
    assert IssuanceJob.objects.count() == 1
    status = api["qa"].get("/api/v1/batches/RICE-1/issuance/").json()
    assert status["batch_status"] == "awaiting_certificate" and status["job"]["status"] == "pending"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"moisture_percent": 101, "pesticide_residue_mg_per_kg": 0, "outcome": "passed"}, "moisture_percent"),
        ({"moisture_percent": 10, "outcome": "passed"}, "pesticide_residue_mg_per_kg"),
        ({"moisture_percent": 10, "pesticide_residue_mg_per_kg": 0, "outcome": "ok"}, "outcome"),
        (
            {
                "moisture_percent": 10,
                "pesticide_residue_mg_per_kg": 0,
                "outcome": "passed",
                "inspected_at": "2999-01-01T00:00:00Z",
            },
            "inspected_at",
        ),
    ],
)
def test_bad_inspections_get_field_errors(api, body, field):
    make_batch("RICE-1")

    response = api["qa"].post("/api/v1/batches/RICE-1/inspections/", body, format="json")

    assert response.status_code == 400 and field in response.json()
    assert Inspection.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/batches/NOPE/",
        "/api/v1/batches/NOPE/inspections/",
        "/api/v1/batches/NOPE/issuance/",
        "/api/v1/certificates/6b0000000000000000000000/",
        "/api/v1/certificates/not-an-id/",
        "/api/v1/certificates/not-an-id/credential/",
    ],
)
def test_unknown_ids_are_404(api, url):
    response = api["staff"].get(url)

    assert response.status_code == 404
    assert "detail" in response.json()


def test_the_credential_and_qr_of_a_certificate(api, actors):
    batch = make_batch("RICE-1")
    certificate = issue_certificate(make_inspection(batch))

    credential = api["exporter"].get(f"/api/v1/certificates/{certificate.pk}/credential/")
    svg = api["exporter"].get(f"/api/v1/certificates/{certificate.pk}/qr.svg")
    png = api["exporter"].get(f"/api/v1/certificates/{certificate.pk}/qr.png")

    assert credential["Content-Type"] == "application/vc+ld+json"
    assert json.loads(credential.content) == certificate.credential
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_sharing_with_an_importer(api):
    certificate = issue_certificate(make_inspection(make_batch("RICE-1")))

    bad = api["exporter"].post(f"/api/v1/certificates/{certificate.pk}/share/", {"importer": "qa"}, format="json")
    good = api["exporter"].post(
        f"/api/v1/certificates/{certificate.pk}/share/", {"importer": "importer"}, format="json"
    )

    assert bad.status_code == 400 and "importer" in bad.json()
    assert good.status_code == 200
    assert api["importer"].get(f"/api/v1/certificates/{certificate.pk}/").status_code == 200
    assert Certificate.objects.get().shared_with == ["importer"]


def test_notifications_unread_count_and_marking_read(api):
    make_inspection(make_batch("RICE-1"))
    run_due_jobs()

    assert api["exporter"].get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    listed = api["exporter"].get("/api/v1/notifications/?unread=1").json()["results"]
    assert listed[0]["title"] == "Certificate ready for batch RICE-1"
    api["exporter"].post(f"/api/v1/notifications/{listed[0]['id']}/read/")
    assert api["exporter"].get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    assert Notification.objects.get().read_at is not None


def test_pagination_and_filters(api):
    for n in range(25):
        make_batch(f"B-{n:02d}", status=BatchStatus.CERTIFIED if n % 2 else BatchStatus.SUBMITTED)

    first = api["exporter"].get("/api/v1/batches/?page_size=10").json()
    submitted = api["exporter"].get("/api/v1/batches/?status=submitted").json()
    prefix = api["exporter"].get("/api/v1/batches/?q=b-1&status=certified").json()

    assert first["count"] == 25 and len(first["results"]) == 10 and first["next"]
    assert submitted["count"] == 13
    assert {batch["batch_number"] for batch in prefix["results"]} == {"B-11", "B-13", "B-15", "B-17", "B-19"}
    assert api["exporter"].get("/api/v1/batches/?page=99").status_code == 404


@pytest.mark.parametrize(
    "url, parameter, expected",
    [
        ("/api/v1/batches/?origin_country=XX", "origin_country", "“XX” is not a country code: use the two-letter ISO"),
        ("/api/v1/batches/?origin_country=Kenya", "origin_country", "is not a country code"),
        ("/api/v1/batches/?since=31/12/2026", "since", "Enter a date as YYYY-MM-DD, e.g. 2026-03-31."),
        ("/api/v1/certificates/?until=2026-02-30", "until", "Enter a date as YYYY-MM-DD"),
        ("/api/v1/inspections/?since=2026-05-02&until=2026-05-01", "until", "on or after 2026-05-02"),
        ("/api/v1/batches/?status=lost", "status", "“lost” is not a status of this list: use one of submitted,"),
        ("/api/v1/certificates/?status=pending", "status", "use one of active, revoked"),
        ("/api/v1/inspections/?outcome=maybe", "outcome", "use one of passed, failed"),
        ("/api/v1/batches/?order=-created_at", "order", "“-created_at” is not an order: use newest or oldest."),
        ("/api/v1/batches/?product=" + "x" * 101, "product", "at most 100 characters"),
    ],
)
def test_a_bad_list_filter_is_a_400_naming_the_parameter_and_what_it_takes(api, url, parameter, expected):
    make_batch("B-01")

    response = api["staff"].get(url)

    assert response.status_code == 400
    assert list(response.json()) == [parameter] and expected in response.json()[parameter][0]


def test_the_last_day_there_is_ends_a_period_without_overflowing(api):
    make_batch("B-01")

    body = api["staff"].get("/api/v1/batches/?since=0001-01-01&until=9999-12-31").json()

    assert [batch["batch_number"] for batch in body["results"]] == ["B-01"]


def test_api_lists_count_in_the_database(api, monkeypatch):
    from mongoengine.queryset.queryset import QuerySet

    for n in range(30):
        make_batch(f"P-{n:02d}")

    def refuse(self):
        raise AssertionError("len() loads every document")

    monkeypatch.setattr(QuerySet, "__len__", refuse)

    body = api["exporter"].get("/api/v1/batches/?page=2").json()
    assert body["count"] == 30 and len(body["results"]) == 10
