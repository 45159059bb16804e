"""On a 390 px phone, in headless Chromium: the importer's certificate page and the exporter's batch
whose issuance gave up say what happened in words, fit the screen, and keep their screenshots."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from certificates import lifecycle
from issuance.inji import PermanentIssuerError
from tests.browser import log_in, screenshot, start_browser
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = 390


@pytest.fixture
def phone():
    driver = start_browser(PHONE, 844, phone=True)
    yield driver
    driver.quit()


def words(browser) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def outside_the_screen(browser) -> list[str]:
    """Visible elements whose box reaches past the viewport's right edge (clipped or scrolled sideways)."""
    return browser.execute_script(
        "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('main *')]"
        ".filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 0.5; })"
        ".map(e => e.tagName + '.' + e.className + ': ' + (e.innerText || '').slice(0, 40));"
    )


def scroll_to(browser, selector: str) -> None:
    browser.execute_script("document.querySelector(arguments[0]).scrollIntoView()", selector)


def refuse(batch, inspection, *, certificate_key, received=None):
    raise PermanentIssuerError("Inji Certify refused the request (400 invalid_credential_request)")


def test_the_exporter_reads_on_a_phone_that_staff_will_retry_an_issuance_that_gave_up(phone, live_server, actors):
    make_inspection(make_batch("RICE-2026-090"))
    run_due_jobs(refuse)

    log_in(phone, live_server.url, "exporter")
    phone.get(live_server.url + "/batches/RICE-2026-090/")
    shown = words(phone)
    screenshot(phone, "phone-390-batch-issuance-gave-up")
    scroll_to(phone, "#certificate-h")
    screenshot(phone, "phone-390-batch-issuance-gave-up-certificate-card")

    assert "certificate not issued" in shown
    assert "the certificate service did not accept the batch's details" in shown
    assert "Our staff have been told and will retry it" in shown
    assert "400" not in shown and "admin" not in shown
    assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE
    assert outside_the_screen(phone) == []


def test_the_importer_reads_a_shared_certificate_on_a_phone(phone, live_server, actors):
    certificate = issue_certificate(make_inspection(make_batch("RICE-2026-091")))
    lifecycle.share(actors["exporter"], certificate, "importer")

    log_in(phone, live_server.url, "importer")
    phone.get(f"{live_server.url}/certificates/{certificate.pk}/")
    shown = words(phone)
    screenshot(phone, "phone-390-certificate-importer")
    scroll_to(phone, ".issuer")
    screenshot(phone, "phone-390-certificate-importer-issuer-and-checks")
    scroll_to(phone, "#about-h")
    screenshot(phone, "phone-390-certificate-importer-about")
    full = phone.find_element(By.CSS_SELECTOR, "details.full-id")
    full.find_element(By.TAG_NAME, "summary").click()
    screenshot(phone, "phone-390-certificate-importer-full-did")

    assert "This certificate is valid." in shown
    assert "Batch\nRICE-2026-091" in shown and not phone.find_elements(By.LINK_TEXT, "RICE-2026-091")
    assert certificate.issuer_did not in shown  # shortened until asked for
    assert certificate.issuer_did in full.text
    assert "UTC" in shown
    assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE
    assert outside_the_screen(phone) == []
