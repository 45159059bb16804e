"""The whole story in headless Chromium: submit, inspect, certify, scan the QR off the screen,
verify, detect tampering, share with an importer, fail a re-test, and everyone sees the revocation."""

from __future__ import annotations

import json
import re

import pytest
import requests
from selenium.webdriver.common.by import By

from credentials.qr import decode_pixelpass
from issuance.worker import Worker
from tests.browser import log_in, read_qr, start_browser, wait_for
from tests.browser import screenshot as take_screenshot
from tests.waiting import wait_until


@pytest.fixture
def browser():
    driver = start_browser(width=1200, height=1000)
    yield driver
    driver.quit()


@pytest.fixture
def worker(settings):
    settings.WORKER_RETRY_BASE_SECONDS = 0
    running = Worker(poll_interval_ms=200)
    thread = running.start_in_background()
    yield running
    running.stop()
    thread.join(10)


RAW_WORDS = ("pesticideResidue", "foreignMatter", "awaiting_certificate", "inspection_failed", "None", "Traceback")


def screenshot(browser, name: str):
    """Keep the picture, and check what it shows reads like a product: no raw field names, no
    ISO timestamps, no debug page."""
    text = browser.execute_script(  # the page's own words, not what the user typed into its fields
        "const b = document.body.cloneNode(true); b.querySelectorAll('textarea, input').forEach(e => e.remove());"
        "document.documentElement.appendChild(b); const t = b.innerText; b.remove(); return t;"
    )
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", text), f"{name} shows an ISO timestamp"
    assert not [word for word in RAW_WORDS if word in text], f"{name} shows raw words"
    return take_screenshot(browser, name)


def fill(browser, values: dict[str, str]) -> None:
    for name, value in values.items():
        element = browser.find_element(By.NAME, name)
        if element.tag_name == "select":
            element.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
        else:
            element.clear()
            element.send_keys(value)


def test_from_batch_to_verified_certificate(browser, live_server, actors, worker):
    base = live_server.url

    log_in(browser, base, "exporter")
    browser.find_element(By.LINK_TEXT, "Submit a batch").click()
    fill(browser, {"batch_number": "COFFEE-2026-01", "product": "Coffee", "variety": "Arabica", "quantity": "320"})
    fill(browser, {"unit": "bag", "origin_country": "ET", "destination_country": "DE", "hs_code": "0901.11"})
    screenshot(browser, "e2e-1-batch-form")
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, lambda b: "was submitted" in b.page_source)

    log_in(browser, base, "qa")
    browser.find_element(By.CSS_SELECTOR, "a[href='/batches/COFFEE-2026-01/inspect/']").click()
    fill(browser, {"moisture_percent": "11.2", "pesticide_residue_mg_per_kg": "0.01", "grade": "Grade 1"})
    browser.find_element(By.CSS_SELECTOR, "input[name=outcome][value=passed]").click()
    screenshot(browser, "e2e-2-inspection-form")
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, lambda b: "Inspection recorded" in b.page_source)

    log_in(browser, base, "exporter")
    # The worker runs in the server's process; the exporter reloads until the certificate shows.
    wait_until(
        lambda: browser.find_elements(By.LINK_TEXT, "QR code and download") or browser.refresh(),
        what="the certificate on the exporter's dashboard",
    )
    screenshot(browser, "e2e-3-exporter-dashboard")
    browser.find_element(By.LINK_TEXT, "QR code and download").click()
    wait_for(browser, lambda b: "This certificate is valid." in b.page_source)
    certificate_page = browser.current_url
    screenshot(browser, "e2e-4-certificate")
    download = browser.find_element(By.PARTIAL_LINK_TEXT, "Download the credential").get_attribute("href")
    credential = requests.get(download, timeout=10).json()
    # What a phone reads off the screen is the whole certificate, not a cropped corner of it.
    scanned = read_qr(browser.find_element(By.CSS_SELECTOR, ".qr svg"), "e2e-4-certificate-qr")
    assert scanned, "zbar could not read the QR code on the certificate page"
    assert decode_pixelpass(scanned) == credential

    browser.get(base + "/verify/")
    browser.execute_script("document.getElementById('id_text').value = arguments[0]", json.dumps(credential))
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, lambda b: "This certificate is valid." in b.page_source)
    screenshot(browser, "e2e-5-verified")

    credential["credentialSubject"]["assessment"]["grade"] = "Grade 0 (premium)"
    browser.execute_script("document.getElementById('id_text').value = arguments[0]", json.dumps(credential))
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, lambda b: "This certificate is NOT valid." in b.page_source)
    assert "altered" in browser.find_element(By.CSS_SELECTOR, ".checks").text
    screenshot(browser, "e2e-6-tampered")

    # The exporter shares the certificate with the importer from its page.
    browser.get(certificate_page)
    browser.find_element(By.ID, "id_importer").send_keys("importer")
    browser.find_element(By.XPATH, "//button[text()='Share']").click()
    wait_for(browser, lambda b: "Shared with importer" in b.page_source)
    screenshot(browser, "e2e-7-shared")

    # The importer is told, finds it on the dashboard, and checks it the way a phone would:
    # by reading the QR code off the screen and handing its text to the verifier.
    log_in(browser, base, "importer")
    assert "shared a certificate with you" in browser.page_source
    browser.find_element(By.LINK_TEXT, "COFFEE-2026-01").click()
    scanned = read_qr(browser.find_element(By.CSS_SELECTOR, ".qr svg"), "e2e-8-importer-qr")
    browser.get(base + "/verify/")
    browser.execute_script("document.getElementById('id_text').value = arguments[0]", scanned)
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, lambda b: "This certificate is valid." in b.page_source)
    assert "Coffee Arabica" in browser.page_source and "320 bags" in browser.page_source
    screenshot(browser, "e2e-9-importer-verified")

    # A re-test fails: the certificate is revoked and everyone who holds it sees it.
    log_in(browser, base, "qa")
    browser.get(base + "/batches/COFFEE-2026-01/inspect/")
    assert "Record a re-test" in browser.page_source
    fill(browser, {"moisture_percent": "14.9", "pesticide_residue_mg_per_kg": "0.3", "notes": "Mould found"})
    browser.find_element(By.CSS_SELECTOR, "input[name=outcome][value=failed]").click()
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, lambda b: "Inspection recorded" in b.page_source)
    for who in ("exporter", "importer"):
        log_in(browser, base, who)
        assert "Certificate for batch COFFEE-2026-01 revoked" in browser.page_source
        browser.get(certificate_page)
        wait_for(browser, lambda b: "Revoked on" in b.page_source and "Re-test failed" in b.page_source)
        screenshot(browser, f"e2e-10-revoked-seen-by-{who}")
    browser.get(base + "/verify/")
    browser.execute_script("document.getElementById('id_text').value = arguments[0]", scanned)
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait_for(browser, lambda b: "This certificate is NOT valid." in b.page_source)
    assert "Revoked by its issuer." in browser.page_source
    browser.set_window_size(390, 1400)
    screenshot(browser, "e2e-11-revoked-verified-phone")
