"""Every custom admin page and every error state of the pages passes axe-core (WCAG 2.1 AA) in
headless Chromium with no serious or critical finding, and focus rings stand out 3:1.

axe once found 42 serious problems: form errors and flash messages in a list whose `role` hid its
items (listitem), links in the admin told from their text by colour alone (link-in-text-block), the
admin's "Verification: valid" at 1.33:1; the focus ring #f2b705 was 1.70:1 on white.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from tests.axe import serious_findings
from tests.browser import screenshot, start_browser, wait_for
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs


@pytest.fixture
def browser():
    driver = start_browser()
    yield driver
    driver.quit()


def findings_on(browser, name: str) -> list[str]:
    screenshot(browser, f"a11y-{name}")
    return serious_findings(browser)


def log_in(browser, base: str, username: str, password: str) -> None:
    browser.delete_all_cookies()
    browser.get(base + "/login/")
    for field, value in (("username", username), ("password", password)):
        browser.find_element(By.NAME, field).clear()
        browser.find_element(By.NAME, field).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()


def submit_without_browser_checks(browser) -> None:
    """Post the page's form as it is, so that the server's errors show (the browser would stop at
    `required` first)."""
    browser.execute_script("document.querySelectorAll('form').forEach(form => form.noValidate = true)")
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()


@pytest.fixture
def operations(batch):
    """A certified batch, a revoked certificate, jobs that will retry and one that gave up."""
    from issuance.inji import PermanentIssuerError, TransientIssuerError

    certified = issue_certificate(make_inspection(batch))
    revoked_batch = make_batch("TEA-2")
    issue_certificate(make_inspection(revoked_batch))
    make_inspection(revoked_batch, outcome="failed")
    make_inspection(make_batch("COFFEE-1"))

    def unavailable(*args, **kwargs):
        raise TransientIssuerError("Inji Certify is unavailable (503 server_error: try again)")

    run_due_jobs(unavailable)
    make_inspection(make_batch("PEPPER-1"))

    def refused(*args, **kwargs):
        raise PermanentIssuerError("Inji Certify refused the request (400 invalid_credential_request)")

    run_due_jobs(refused)
    return certified


def test_every_custom_admin_page_has_no_serious_finding(browser, live_server, admin_user, operations):
    from certificates.models import Certificate
    from issuance.models import IssuanceJob

    log_in(browser, live_server.url, "admin", "password")
    wait_for(browser, lambda b: "/login/" not in b.current_url)
    job = IssuanceJob.objects.gave_up().first()
    revoked = Certificate.objects(status="revoked").first()
    pages = {
        "admin-index": reverse("admin:index"),
        "admin-jobs": reverse("admin:issuance-jobs"),
        "admin-jobs-gave-up": reverse("admin:issuance-jobs") + "?outcome=gave_up",
        "admin-job": reverse("admin:issuance-job", args=[job.pk]),
        "admin-job-retry": reverse("admin:issuance-job-retry", args=[job.pk]),
        "admin-workers": reverse("admin:issuance-workers"),
        "admin-batches": reverse("admin:certificates-batches"),
        "admin-batch": reverse("admin:certificates-batch", args=[operations.batch.pk]),
        "admin-inspections": reverse("admin:certificates-inspections"),
        "admin-certificates": reverse("admin:certificates-certificates"),
        "admin-certificate": reverse("admin:certificates-certificate", args=[operations.pk]),
        "admin-certificate-revoked": reverse("admin:certificates-certificate", args=[revoked.pk]),
        "admin-notifications": reverse("admin:notifications-list"),
    }
    found = {}
    for name, path in pages.items():
        browser.get(live_server.url + path)
        found[name] = findings_on(browser, name)

    assert {name: problems for name, problems in found.items() if problems} == {}


def test_every_error_state_of_the_pages_has_no_serious_finding(browser, live_server, actors, batch):
    base = live_server.url
    found = {}
    log_in(browser, base, "exporter", "not the password")
    found["login-failed"] = findings_on(browser, "login-failed")

    log_in(browser, base, "exporter", "pw-123456")
    wait_for(browser, lambda b: b.current_url == base + "/")
    browser.get(base + "/batches/new/")
    submit_without_browser_checks(browser)
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".errors"))
    found["batch-form-empty"] = findings_on(browser, "batch-form-empty")
    described = browser.execute_script(DESCRIPTIONS)
    for field, value in (("batch_number", "RICE-77"), ("product", "有機バスマティ米・長粒種"), ("quantity", "10")):
        browser.find_element(By.NAME, field).send_keys(value)
    browser.find_element(By.NAME, "origin_country").send_keys("IN")
    submit_without_browser_checks(browser)
    wait_for(browser, lambda b: "the limit is 32" in b.page_source)
    found["batch-form-too-long"] = findings_on(browser, "batch-form-too-long")
    browser.find_element(By.NAME, "product").clear()
    browser.find_element(By.NAME, "product").send_keys("Rice")
    submit_without_browser_checks(browser)
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "[role=status] .messages"))
    found["flash-message"] = findings_on(browser, "flash-message")
    browser.get(base + "/batches/NO-SUCH-BATCH/")
    found["not-found"] = findings_on(browser, "not-found")

    log_in(browser, base, "qa", "pw-123456")
    wait_for(browser, lambda b: b.current_url == base + "/")
    browser.get(base + f"/batches/{batch.batch_number}/inspect/")
    submit_without_browser_checks(browser)
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".errors"))
    found["inspection-form-empty"] = findings_on(browser, "inspection-form-empty")
    browser.get(base + "/batches/new/")
    found["forbidden"] = findings_on(browser, "forbidden")

    browser.get(base + "/verify/")
    browser.find_element(By.NAME, "text").send_keys("not a credential")
    browser.find_element(By.CSS_SELECTOR, "form.verify button[type=submit]").click()
    wait_for(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".verdict.invalid, .errors"))
    found["verify-unreadable"] = findings_on(browser, "verify-unreadable")

    assert {name: problems for name, problems in found.items() if problems} == {}
    assert described["product"] == ["e.g. Rice, Coffee, Black pepper", "This field is required."]
    assert all(described.values()) and None not in sum(described.values(), [])


# What each input's aria-describedby points at, as a screen reader announces it (null: an id that
# is not on the page — help texts once had other ids than the inputs named).
DESCRIPTIONS = """
const described = {};
for (const input of document.querySelectorAll("[aria-describedby]")) {
  described[input.name] = input.getAttribute("aria-describedby").split(" ")
    .map(id => document.getElementById(id)).map(e => e && e.innerText.trim());
}
return described;
"""
CONTRAST = """
function luminance(colour) {
  const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map(Number).map(c => c / 255)
    .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function background(element) {
  for (let e = element; e; e = e.parentElement) {
    const colour = getComputedStyle(e).backgroundColor;
    if (!/rgba\\(.*, 0\\)$/.test(colour) && colour !== "transparent") return colour;
  }
  return "rgb(255, 255, 255)";
}
const [element, over] = arguments;
element.focus();
const ring = getComputedStyle(element).outlineColor;
const around = background(over || element.parentElement);
const [light, dark] = [luminance(ring), luminance(around)].sort((a, b) => b - a);
return [(light + 0.05) / (dark + 0.05), getComputedStyle(element).outlineStyle];
"""


@pytest.mark.parametrize(
    ("selector", "over"),
    [
        ("header.site .brand", None),
        ("header.site nav a", None),
        ("main a", None),
        ("main input[name=username]", None),
        ("main button", None),
        ("a.skip", "header.site"),  # it appears over the header when focused
    ],
)
def test_the_focus_ring_stands_out_three_to_one_where_it_is_drawn(browser, live_server, selector, over):
    browser.get(live_server.url + "/login/")
    element = browser.find_element(By.CSS_SELECTOR, selector)

    ratio, style = browser.execute_script(CONTRAST, element, over and browser.find_element(By.CSS_SELECTOR, over))

    assert style == "solid" and ratio >= 3, f"the focus ring of {selector} is {ratio:.2f}:1 against its background"
