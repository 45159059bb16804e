"""A verification reads as one plain sentence per check, each said once: the verdict once, the
issuer's DID once (shortened, with the full one to copy), who the issuer is once, a date once and
with its zone, and checks that could not be made for one reason in one sentence."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client

from certificates.trust import public_policy
from certificates.words import moment, short_id
from credentials.verification import verify_credential
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db


def checks_on(page: str) -> list[tuple[str, str]]:
    """(outcome, sentence) of each check the page lists."""
    return [(outcome, html.unescape(text)) for outcome, text in re.findall(r'<li class="check-(\w+)">(.*?)</li>', page)]


def main_text(page: str) -> str:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


@pytest.fixture
def certificate():
    return issue_certificate(make_inspection(make_batch("RICE-1")))


def test_a_valid_certificate_page_says_each_check_once(actors, certificate):
    client = Client()
    client.force_login(actors["exporter"])

    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    text = main_text(page)

    assert checks_on(page) == [
        ("ok", "Not altered since it was signed."),
        ("ok", "It follows the W3C Verifiable Credentials Data Model 2.0."),
        ("ok", "Signed by the issuer it names."),
        ("ok", "Issued by this service's own issuer."),
        ("ok", f"Valid until {moment(certificate.valid_until)}."),
        ("ok", "Not revoked by its issuer."),
    ]
    # "This certificate is valid." and "Valid until …": no badge by the title says it again
    assert len(re.findall(r"\bvalid\b", text, re.IGNORECASE)) == 2
    assert text.count(short_id(certificate.issuer_did)) == 1 and text.count(certificate.issuer_did) == 1
    assert text.count("this service's own issuer") == 1
    assert text.count(moment(certificate.valid_until)) == 1


def test_a_tampered_certificate_says_why_once_and_what_went_unchecked_in_one_sentence(certificate):
    tampered = json.loads(certificate.credential_json)
    tampered["credentialSubject"]["assessment"]["grade"] = "Grade 0 (premium)"

    page = Client().post("/verify/", {"text": json.dumps(tampered)}).content.decode()

    assert "This certificate is NOT valid." in main_text(page)
    assert checks_on(page) == [
        ("fail", "The signature does not match the credential: it was altered or signed by another key."),
        ("ok", "It follows the W3C Verifiable Credentials Data Model 2.0."),
        (
            "unknown",
            "The signer, trust in the issuer, the dates and revocation were not checked, "
            "because the signature is not valid.",
        ),
    ]
    assert main_text(page).count("altered") == 1
    assert "does not know" not in page  # whether the issuer is known was not checked


def test_the_trust_check_says_who_the_issuer_is_once(certificate):
    result = verify_credential(certificate.credential, policy=public_policy())

    assert result.trust.reason == f"{certificate.issuer_did} is this service's own issuer"
