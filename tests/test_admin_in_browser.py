"""The admin's issuance pages in headless Chromium look and behave like the rest of the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from issuance.models import IssuanceJob
from tests.browser import screenshot, start_browser, wait_for
from tests.factories import make_batch, make_inspection, run_due_jobs


@pytest.fixture
def browser():
    driver = start_browser()
    yield driver
    driver.quit()


@pytest.fixture
def jobs(batch):
    from issuance.inji import TransientIssuerError

    make_inspection(batch)
    run_due_jobs()
    for n in range(3):
        make_inspection(make_batch(f"COFFEE-{n}"))

    def unavailable(*args, **kwargs):
        raise TransientIssuerError("Inji Certify is unavailable (503 server_error: try again)")

    run_due_jobs(unavailable)
    make_inspection(make_batch("PEPPER-1"))
    return IssuanceJob.objects.order_by("batch_number")


def log_in(browser, live_server, admin_user) -> None:
    browser.get(live_server.url + "/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys("password")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: b.current_url.endswith("/admin/"))


def test_an_operator_finds_filters_and_retries_jobs(browser, live_server, admin_user, jobs):
    log_in(browser, live_server, admin_user)
    browser.find_element(By.LINK_TEXT, "Issuance jobs").click()
    wait_for(browser, lambda b: b.current_url.endswith("/admin/issuance/jobs/"))

    assert browser.find_element(By.ID, "site-name").text == "AgriQCert administration"
    filter_panel = browser.find_element(By.ID, "changelist-filter")
    assert filter_panel.is_displayed() and filter_panel.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 5
    screenshot(browser, "admin-jobs-list")

    browser.find_element(By.LINK_TEXT, "Will retry").click()
    wait_for(browser, lambda b: "outcome=will_retry" in b.current_url)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 3

    browser.find_element(By.CSS_SELECTOR, "#result_list tbody th a").click()
    wait_for(browser, lambda b: "503 server_error" in b.page_source)
    screenshot(browser, "admin-job-detail")

    browser.find_element(By.CSS_SELECTOR, "input[value=Retry]").click()
    wait_for(browser, lambda b: "Retry issuance for batch" in b.page_source)
    screenshot(browser, "admin-retry-confirmation")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: "will be retried now" in b.page_source)


def test_the_qr_codes_on_the_admin_and_public_pages_scan(browser, live_server, admin_user, batch):
    from credentials.qr import decode_pixelpass
    from tests.browser import read_qr
    from tests.factories import issue_certificate, make_inspection

    certificate = issue_certificate(make_inspection(batch))
    log_in(browser, live_server, admin_user)

    browser.get(live_server.url + reverse("admin:certificates-certificate", args=[certificate.pk]))
    from_admin = read_qr(browser.find_element(By.CSS_SELECTOR, ".qr svg"), "admin-certificate-qr")
    screenshot(browser, "admin-certificate")
    browser.get(live_server.url + f"/c/{certificate.public_token}/")
    from_public_page = read_qr(browser.find_element(By.CSS_SELECTOR, ".qr svg"), "public-certificate-qr")
    screenshot(browser, "public-certificate")

    assert decode_pixelpass(from_admin) == certificate.credential
    assert decode_pixelpass(from_public_page) == certificate.credential
