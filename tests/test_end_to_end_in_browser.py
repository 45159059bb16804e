"""The whole flow in headless Chromium: submit, inspect, certify, see the QR, verify, detect tampering."""

from __future__ import annotations

import json

import pytest
import requests
from selenium.webdriver.common.by import By

from certificates.qr import decode_pixelpass
from issuance.worker import Worker
from tests.browser import read_qr, screenshot, start_browser, wait_for
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


def log_in(browser, base: str, username: str) -> None:
    browser.delete_all_cookies()
    browser.get(base + "/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("pw-123456")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda b: b.current_url == base + "/" and "Welcome" in b.page_source)


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
