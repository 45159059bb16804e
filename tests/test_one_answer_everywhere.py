"""Each refusal about batches and certificates reads the same from the page, the API, the admin and
the command line: they all ask certificates.lifecycle and only translate its answer."""

from __future__ import annotations

import html

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from certificates import lifecycle
from certificates.models import Certificate, CertificateStatus
from tests.factories import issue_certificate, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(actors):
    clients = {}
    for name, user in actors.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


@pytest.fixture
def certificate(batch):
    return issue_certificate(make_inspection(batch))


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_revoked_certificate_is_shared_nowhere(pages, api, actors, certificate):
    lifecycle.revoke(certificate, by="auditor", reason="Lab re-test failed")
    expected = lifecycle.share(actors["exporter"], certificate.reload(), "importer").message

    page = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "importer"}, follow=True)
    answer = api["exporter"].post(
        f"/api/v1/certificates/{certificate.pk}/share/", {"importer": "importer"}, format="json"
    )

    assert "is revoked" in expected
    assert expected in page_text(page)
    assert answer.status_code == 409 and answer.json() == {"detail": expected}
    assert certificate.reload().shared_with == []


def test_sharing_with_someone_who_is_not_an_importer_is_refused_with_the_same_words(pages, api, actors, certificate):
    expected = lifecycle.share(actors["exporter"], certificate, "qa").message

    page = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "qa"}, follow=True)
    answer = api["exporter"].post(f"/api/v1/certificates/{certificate.pk}/share/", {"importer": "qa"}, format="json")

    assert expected == "No importer has the username or e-mail address 'qa'."
    assert expected in page_text(page)
    assert answer.status_code == 400 and answer.json() == {"importer": [expected]}
    assert certificate.reload().shared_with == []


def test_only_the_owning_exporter_shares_and_withdraws(pages, api, certificate):
    lifecycle_message = "Only the exporter who owns a certificate shares it."
    certificate.update(push__shared_with="importer")

    page = pages["importer"].post(f"/certificates/{certificate.pk}/share/", {"importer": "importer"})
    answer = api["importer"].post(
        f"/api/v1/certificates/{certificate.pk}/share/", {"importer": "importer"}, format="json"
    )
    withdrawn = api["importer"].delete(f"/api/v1/certificates/{certificate.pk}/share/importer/")

    assert page.status_code == 403 and lifecycle_message in page_text(page)
    assert answer.status_code == 403 and answer.json() == {"detail": lifecycle_message}
    assert withdrawn.status_code == 403 and "withdraws a share" in withdrawn.json()["detail"]
    assert certificate.reload().shared_with == ["importer"]


def test_withdrawing_a_share_that_was_never_made_says_so(pages, api, certificate):
    expected = "This certificate is not shared with 'importer'."

    page = pages["exporter"].post(f"/certificates/{certificate.pk}/share/importer/withdraw/", follow=True)
    answer = api["exporter"].delete(f"/api/v1/certificates/{certificate.pk}/share/importer/")

    assert expected in page_text(page)
    assert answer.status_code == 409 and answer.json() == {"detail": expected}


def test_the_api_withdraws_a_share_as_the_page_does(api, pages, certificate):
    api["exporter"].post(f"/api/v1/certificates/{certificate.pk}/share/", {"importer": "importer"}, format="json")

    answer = api["exporter"].delete(f"/api/v1/certificates/{certificate.pk}/share/importer/")

    assert answer.status_code == 200 and answer.json()["id"] == str(certificate.pk)
    assert certificate.reload().shared_with == []
    assert pages["importer"].get(f"/certificates/{certificate.pk}/").status_code == 404


def test_revoking_twice_is_refused_by_the_admin_and_the_command_alike(admin_client, certificate):
    lifecycle.revoke(certificate, by="auditor", reason="fraud")
    expected = lifecycle.revoke(certificate, by="auditor", reason="fraud again").message

    page = admin_client.post(
        f"/admin/certificates/certificates/{certificate.pk}/revoke/",
        {"confirm": "yes", "reason": "fraud again"},
        follow=True,
    )
    with pytest.raises(CommandError) as refused:
        call_command("revoke_certificate", certificate.credential_id, "--reason", "fraud again")

    assert expected.startswith(f"Certificate {certificate.credential_id} was already revoked on ")
    assert expected in page_text(page)
    assert str(refused.value) == expected
    assert certificate.reload().revocation_reason == "fraud"


def test_the_admin_offers_revoke_again_only_while_the_issuer_has_not_taken_it(admin_client, certificate):
    detail = f"/admin/certificates/certificates/{certificate.pk}/"
    assert "Revoke this certificate" in page_text(admin_client.get(detail))

    lifecycle.revoke(certificate, by="auditor", reason="fraud")
    assert "Revoke this certificate" not in page_text(admin_client.get(detail))
    assert "Publish the revocation again" not in page_text(admin_client.get(detail))

    Certificate.objects(pk=certificate.pk).update_one(
        set__revocation_published=False, set__revocation_publish_error="Inji Certify did not answer"
    )
    page = page_text(admin_client.get(detail))
    assert "Publish the revocation again" in page and "not published: Inji Certify did not answer" in page

    done = admin_client.post(f"{detail}revoke/", {"confirm": "yes", "reason": ""}, follow=True)
    assert "verifiers now see it as revoked" in page_text(done)
    assert certificate.reload().revocation_published is True
    assert certificate.status == CertificateStatus.REVOKED and certificate.revocation_reason == "fraud"


def test_only_exporters_submit_batches_on_the_page_and_in_the_api(pages, api, actors):
    expected = lifecycle.may_submit(actors["importer"]).message
    values = {"batch_number": "X-1", "product": "Rice", "quantity": 1, "unit": "kg", "origin_country": "IN"}

    page = pages["importer"].post("/batches/new/", values)
    answer = api["importer"].post("/api/v1/batches/", values, format="json")

    assert expected == "Only exporters submit batches."
    assert page.status_code == 403 and expected in page_text(page)
    assert answer.status_code == 403 and answer.json() == {"detail": expected}


def test_only_qa_agencies_record_inspections_on_the_page_and_in_the_api(pages, api, actors, batch):
    expected = lifecycle.may_inspect(actors["exporter"]).message
    values = {"moisture_percent": 12, "pesticide_residue_mg_per_kg": 0.01, "outcome": "passed"}

    page = pages["exporter"].post(f"/batches/{batch.batch_number}/inspect/", values)
    answer = api["exporter"].post(f"/api/v1/batches/{batch.batch_number}/inspections/", values, format="json")

    assert expected == "Only QA agencies record inspections."
    assert page.status_code == 403 and expected in page_text(page)
    assert answer.status_code == 403 and answer.json() == {"detail": expected}


def test_inspecting_a_batch_nobody_submitted_is_not_found_everywhere(pages, api):
    values = {"moisture_percent": 12, "pesticide_residue_mg_per_kg": 0.01, "outcome": "passed"}

    page = pages["qa"].post("/batches/NOBODY-1/inspect/", values)
    answer = api["qa"].post("/api/v1/batches/NOBODY-1/inspections/", values, format="json")

    assert page.status_code == 404 and answer.status_code == 404
    assert answer.json() == {"detail": "No batch 'NOBODY-1' that you can see."}


def test_a_batch_number_taken_already_is_refused_with_the_same_words(pages, api, batch):
    values = {
        "batch_number": batch.batch_number,
        "product": "Rice",
        "quantity": 1,
        "unit": "kg",
        "origin_country": "IN",
    }

    page = pages["exporter"].post("/batches/new/", values)
    answer = api["exporter"].post("/api/v1/batches/", values, format="json")

    assert "A batch with this number exists already." in page_text(page)
    assert answer.status_code == 400 and answer.json() == {"batch_number": ["A batch with this number exists already."]}
