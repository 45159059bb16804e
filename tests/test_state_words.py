"""Every batch and certificate state has a badge and a sentence that say what happened and what
this reader (exporter, inspector, staff, importer) can do next, in plain words."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from certificates import lifecycle
from certificates.models import Certificate
from certificates.words import short_id
from issuance.inji import PermanentIssuerError
from issuance.inji.mock import issue as mock_issue
from issuance.models import IssuanceJob
from notifications.models import Notification, NotificationKind
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db

REFUSAL = "Inji Certify refused the request (400 invalid_credential_request): credentialSubject.x is unknown"


@pytest.fixture
def pages(actors):
    clients = {}
    for name in ("exporter", "qa", "importer", "staff"):
        clients[name] = Client()
        clients[name].force_login(actors[name])
    return clients


def text_of(response) -> str:
    """The words on the page, as read: tags dropped (and the space they leave before punctuation)."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    return html.unescape(re.sub(r" ([,.;:])", r"\1", text))


def refuse(batch, inspection, *, certificate_key, received=None):
    raise PermanentIssuerError(REFUSAL)


@pytest.fixture
def gave_up():
    batch = make_batch("RICE-GAVE-UP")
    make_inspection(batch)
    run_due_jobs(refuse)
    assert IssuanceJob.objects.get().gave_up
    return batch


def test_an_exporter_whose_issuance_gave_up_reads_the_reason_in_plain_words_and_that_staff_will_retry(pages, gave_up):
    page = text_of(pages["exporter"].get("/batches/RICE-GAVE-UP/"))

    assert "certificate not issued" in page
    assert "its certificate could not be issued: the certificate service did not accept the batch's details" in page
    assert "Our staff have been told and will retry it" in page
    for technical in ("400", "invalid_credential_request", "admin", "Retry", "Issued automatically"):
        assert technical not in page, technical


def test_staff_read_the_technical_reason_and_a_link_to_retry_the_job(pages, gave_up):
    job = IssuanceJob.objects.get()
    response = pages["staff"].get("/batches/RICE-GAVE-UP/")

    assert "certificate not issued" in text_of(response)
    assert "gave up after 1 of 3 attempts: " + REFUSAL in text_of(response)
    assert f'href="/admin/issuance/jobs/{job.pk}/"' in response.content.decode()


def test_an_inspector_is_told_staff_will_retry_without_the_technical_detail(pages, gave_up):
    page = text_of(pages["qa"].get("/batches/RICE-GAVE-UP/"))

    assert "Staff have been told and will retry it." in page and "400" not in page


def test_the_give_up_notifications_speak_to_each_reader(gave_up):
    told = {n.recipient: n.message for n in Notification.objects(kind=NotificationKind.ISSUANCE_FAILED)}

    assert "400" not in told["exporter"] and "will retry it" in told["exporter"]
    assert REFUSAL in told["staff"] and "Retry" in told["staff"]


@pytest.mark.parametrize(
    ("make", "badge", "exporter_reads"),
    [
        (lambda b: None, "waiting for inspection", "A QA agency will inspect it"),
        (lambda b: make_inspection(b, "failed"), "failed inspection", "A QA agency can re-test it"),
        (lambda b: make_inspection(b), "certificate being issued", "its certificate is being issued"),
        (lambda b: issue_certificate(make_inspection(b)), "certified", "share it with importers"),
        (
            lambda b: lifecycle.revoke(issue_certificate(make_inspection(b)), by="qa", reason="Mould found"),
            "certificate revoked",
            "Its certificate was revoked",
        ),
    ],
    ids=["submitted", "inspection_failed", "awaiting_certificate", "certified", "revoked"],
)
def test_each_batch_state_has_a_badge_and_a_next_step_for_the_exporter(pages, make, badge, exporter_reads):
    make(make_batch("RICE-1"))

    page = text_of(pages["exporter"].get("/batches/RICE-1/"))

    assert f"Batch RICE-1 {badge}" in page
    assert exporter_reads in page


def test_a_failed_re_test_says_the_certificate_was_revoked_and_who_was_told(pages, actors):
    batch = make_batch("RICE-2")
    certificate = issue_certificate(make_inspection(batch))
    lifecycle.share(actors["exporter"], certificate, "importer")
    failed = {"moisture_percent": "19", "pesticide_residue_mg_per_kg": "0.5", "outcome": "failed"}

    page = text_of(pages["qa"].post("/batches/RICE-2/inspect/", failed, follow=True))

    assert "Inspection recorded: batch RICE-2 failed." in page
    assert "Its certificate was revoked" in page
    assert "the exporter and the 1 importer it was shared with were told" in page
    assert "badge active" not in pages["qa"].get("/batches/RICE-2/").content.decode()
    assert not re.search(r"\b0\d [A-Z][a-z]+ \d{4}", page)  # "3 December", never "03 December"


def test_a_superseded_certificate_looks_different_and_names_the_certificate_that_replaced_it(pages, actors):
    batch = make_batch("RICE-3")
    first = issue_certificate(make_inspection(batch))
    lifecycle.share(actors["exporter"], first, "importer")
    second = issue_certificate(make_inspection(batch))
    first.reload()

    batch_page = pages["exporter"].get("/batches/RICE-3/").content.decode()
    owner = text_of(pages["exporter"].get(f"/certificates/{first.pk}/"))
    importer = pages["importer"].get(f"/certificates/{first.pk}/").content.decode()

    assert first.status == "revoked" and first.superseded_by == second.pk
    assert 'badge superseded">replaced' in batch_page
    assert "Certificate 1" in batch_page and "Certificate 2" in batch_page
    assert f'href="/certificates/{second.pk}/">certificate 2</a> after a passing re-test' in batch_page
    assert f"by certificate {short_id(second.credential_id)}" in owner and "Revoked on" not in owner
    assert f'href="/certificates/{second.pk}/"' not in importer  # not shared with them: the id as text
    assert "ask the exporter to share it with you" in text_of(pages["importer"].get(f"/certificates/{first.pk}/"))
    told = Notification.objects(recipient="importer", kind=NotificationKind.CERTIFICATE_REVOKED).get()
    assert "replaced" in told.title and "urn:uuid" not in told.message


def test_two_certificates_of_one_day_read_differently(pages):
    batch = make_batch("RICE-4")
    issue_certificate(make_inspection(batch))
    issue_certificate(make_inspection(batch))

    page = text_of(pages["exporter"].get("/batches/RICE-4/"))

    rows = re.findall(r"Certificate (\d), issued ([^ ]+ [^ ]+ \d{4}, \d\d:\d\d UTC) \S+ id (\S+)", page)
    assert [number for number, _, _ in rows] == ["2", "1"]
    assert rows[0][2] != rows[1][2]


def test_the_importer_reads_the_batch_number_as_text_not_a_link_that_answers_404(pages, actors):
    certificate = issue_certificate(make_inspection(make_batch("RICE-5")))
    lifecycle.share(actors["exporter"], certificate, "importer")

    importer = pages["importer"].get(f"/certificates/{certificate.pk}/").content.decode()
    exporter = pages["exporter"].get(f"/certificates/{certificate.pk}/").content.decode()

    assert 'href="/batches/RICE-5/"' not in importer and "RICE-5" in importer
    assert 'href="/batches/RICE-5/"' in exporter


def test_the_certificate_page_names_the_issuer_shows_its_did_shortened_once_in_full_and_times_with_their_zone(pages):
    certificate = issue_certificate(make_inspection(make_batch("RICE-6")))

    page = text_of(pages["exporter"].get(f"/certificates/{certificate.pk}/"))

    assert page.count(certificate.issuer_did) == 1  # in the <details> to copy; shortened everywhere else
    assert short_id(certificate.issuer_did) in page
    assert "UTC" in page and not re.search(r"\d{4}-\d{2}-\d{2}", page)
    assert "urn:uuid" not in page.replace(certificate.credential_id, "")  # the id itself, once, to copy


def test_a_ready_certificate_is_announced_with_a_short_id(batch):
    make_inspection(batch)
    run_due_jobs(mock_issue)

    ready = Notification.objects(kind=NotificationKind.CERTIFICATE_READY).get()

    assert "urn:uuid" not in ready.message
    assert short_id(Certificate.objects.get().credential_id) in ready.message


def test_countries_are_picked_by_name_and_stored_as_codes(pages):
    form = pages["exporter"].get("/batches/new/").content.decode()
    pages["exporter"].post(
        "/batches/new/",
        {"batch_number": "RICE-7", "product": "Rice", "quantity": "500", "unit": "kg", "origin_country": "IN"},
    )

    assert '<select name="origin_country"' in form and '<option value="IN">India</option>' in form
    assert '<option value="" selected>Not decided yet</option>' in form
    assert lifecycle.Batch.objects.get(batch_number="RICE-7").origin_country == "IN"


def test_a_number_out_of_range_is_refused_in_plain_digits_and_focus_goes_to_the_error_summary(pages):
    response = pages["exporter"].post(
        "/batches/new/",
        {"batch_number": "RICE-8", "product": "Rice", "quantity": "2000000000", "unit": "kg", "origin_country": "IN"},
    )
    html = response.content.decode()

    assert "Quantity must be between 0.001 and 1,000,000,000 (got 2,000,000,000)." in text_of(response)
    assert 'class="error-summary" id="error-summary" tabindex="-1" autofocus' in html
    assert '<a href="#id_quantity">Quantity: Quantity must be between' in html
