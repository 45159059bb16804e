"""The server-rendered pages: forms with errors next to fields, role dashboards, certificate and verify pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from certificates.models import Batch, Inspection
from credentials.qr import encode_pixelpass
from issuance.models import IssuanceJob
from tests.factories import forge, issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def browsers(actors):
    clients = {"anonymous": Client()}
    for name, user in actors.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def test_pages_need_a_login_except_verification(browsers):
    assert browsers["anonymous"].get("/").status_code == 302
    assert browsers["anonymous"].get("/").url.startswith("/login/")
    assert browsers["anonymous"].get("/verify/").status_code == 200
    assert browsers["anonymous"].get("/login/").status_code == 200


def test_an_exporter_submits_a_batch_through_the_form(browsers):
    response = browsers["exporter"].post(
        "/batches/new/",
        {"batch_number": "RICE-9", "product": "Rice", "quantity": "500", "unit": "kg", "origin_country": "in"},
    )

    assert response.status_code == 302 and response.url == "/batches/RICE-9/"
    batch = Batch.objects.get(batch_number="RICE-9")
    assert batch.exporter == "exporter" and batch.origin_country == "IN"
    page = browsers["exporter"].get(response.url).content.decode()
    assert "Batch RICE-9 was submitted" in page


def test_form_errors_are_shown_next_to_their_fields(browsers):
    response = browsers["exporter"].post(
        "/batches/new/",
        {"batch_number": "bad number", "product": "", "quantity": "-3", "unit": "kg", "origin_country": "ZZ"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    for field in ("batch_number", "product", "quantity", "origin_country"):
        assert f'id="id_{field}_error"' in html, field
    assert "is not a country code" in html
    assert Batch.objects.count() == 0


def test_only_exporters_submit_batches_and_only_qa_agencies_inspect(browsers):
    make_batch("RICE-1")

    assert browsers["qa"].get("/batches/new/").status_code == 403
    assert browsers["exporter"].get("/batches/RICE-1/inspect/").status_code == 403
    assert browsers["other_exporter"].get("/batches/RICE-1/").status_code == 404


def test_a_qa_agency_records_an_inspection(browsers):
    make_batch("RICE-1")
    dashboard = browsers["qa"].get("/").content.decode()
    assert "RICE-1" in dashboard and "Record inspection" in dashboard

    response = browsers["qa"].post(
        "/batches/RICE-1/inspect/",
        {"moisture_percent": "12", "pesticide_residue_mg_per_kg": "0.01", "grade": "A", "outcome": "passed"},
    )

    assert response.status_code == 302
    assert Inspection.objects.get().agency == "National QA Agency"
    assert IssuanceJob.objects.count() == 1


def test_an_inspection_form_with_errors_records_nothing(browsers):
    make_batch("RICE-1")

    response = browsers["qa"].post("/batches/RICE-1/inspect/", {"moisture_percent": "250"})

    html = response.content.decode()
    assert 'id="id_moisture_percent_error"' in html and 'id="id_outcome_error"' in html
    assert Inspection.objects.count() == 0


def test_the_certificate_page_shows_the_qr_and_each_check(browsers):
    certificate = issue_certificate(make_inspection(make_batch("RICE-1")))

    html = browsers["exporter"].get(f"/certificates/{certificate.pk}/").content.decode()

    assert "<svg" in html and "This certificate is valid." in html
    assert "Not altered since it was signed." in html
    assert browsers["importer"].get(f"/certificates/{certificate.pk}/").status_code == 404  # not shared
    public = Client().get(f"/c/{certificate.public_token}/")
    assert public.status_code == 200 and "This certificate is valid." in public.content.decode()
    download = Client().get(f"/c/{certificate.public_token}/credential.json")
    assert download["Content-Type"] == "application/vc+ld+json"


def test_the_verify_page_checks_pasted_json_qr_text_and_uploads(browsers):
    certificate = issue_certificate(make_inspection(make_batch("RICE-1")))
    anonymous = browsers["anonymous"]

    pasted = anonymous.post("/verify/", {"text": certificate.credential_json}).content.decode()
    qr = anonymous.post("/verify/", {"text": encode_pixelpass(certificate.credential)}).content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = anonymous.post(
        "/verify/", {"file": SimpleUploadedFile("c.json", certificate.credential_json.encode())}
    ).content.decode()

    for html in (pasted, qr, upload):
        assert "This certificate is valid." in html


def test_the_verify_page_explains_bad_input(browsers):
    empty = browsers["anonymous"].post("/verify/", {"text": ""}).content.decode()
    garbage = browsers["anonymous"].post("/verify/", {"text": "{broken"}).content.decode()
    tampered = browsers["anonymous"].post("/verify/", {"text": '{"@context": [], "type": ["VerifiableCredential"]}'})

    assert "Paste a credential" in empty
    assert "We could not read that as a credential" in garbage
    assert "This certificate is NOT valid." in tampered.content.decode()


def test_the_verify_page_does_not_call_a_strangers_certificate_valid(browsers):
    certificate = issue_certificate(make_inspection(make_batch("RICE-1")))
    forged = forge(certificate.credential, product="FORGED")

    html = browsers["anonymous"].post("/verify/", {"text": json.dumps(forged)}).content.decode()

    assert "This certificate is NOT valid." in html
    assert "This certificate is valid." not in html
    assert "Issued by an issuer this service does not know." in html
