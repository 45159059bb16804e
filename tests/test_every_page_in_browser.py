"""Every page a person uses, as the person who uses it, in headless Chromium at 1280 px and on a
390 px phone: the words they must read, nothing wider than the screen, no serious or critical
axe-core finding, and the certificate's QR code read back off the screen. Screenshots of each page
are kept as artifacts/screenshots/every-page-<width>-<name>.png to be looked at.

The custom admin pages are checked by test_admin_on_a_phone.py and test_accessibility_in_browser.py.
"""

from __future__ import annotations

import base64
import json

import pytest
from selenium.webdriver.common.by import By

from certificates import lifecycle
from credentials.qr import decode_pixelpass
from issuance.inji import PermanentIssuerError
from tests.axe import serious_findings
from tests.browser import SCREENSHOTS, follow, log_in, read_qr, settled, start_browser, wait_for
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db(transaction=True)

# Visible elements reaching past the viewport's right edge, unless inside a box marked
# `data-scrolls` that does scroll sideways (a deliberate, visible scroll container).
OVERFLOW = """
const width = window.innerWidth, wide = [];
const scrolls = e => e.closest('[data-scrolls]') &&
  ['auto', 'scroll'].includes(getComputedStyle(e.closest('[data-scrolls]')).overflowX);
for (const element of document.querySelectorAll('body *')) {
  const box = element.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  if (box.right > width + 0.5 && !scrolls(element.parentElement)) {
    wide.push(`${element.tagName.toLowerCase()}.${element.className} right=${Math.round(box.right)}`);
  }
}
return {width: width, scrolls: document.documentElement.scrollWidth, wide: wide.slice(0, 8)};
"""
# Buttons too small for a finger (WCAG 2.2's 24 px target size) on a touch screen.
SMALL_TARGETS = """
if (!matchMedia('(pointer: coarse)').matches) return [];
return [...document.querySelectorAll('main button, main .button, main input[type=submit]')]
  .filter(e => { const box = e.getBoundingClientRect(); return box.width > 0 && box.height < 24; })
  .map(e => `${e.innerText.trim()} (${Math.round(e.getBoundingClientRect().height)} px high)`);
"""


def refuse(*args, **kwargs):
    raise PermanentIssuerError("Inji Certify refused the request (400 invalid_credential_request)")


@pytest.fixture
def season(actors, django_user_model):
    """A batch in each state an exporter meets, certificates in each state, the notifications those
    leave behind, and a second importer whose name starts as the first's does."""
    from django.contrib.auth.models import Group

    from core.roles import IMPORTER

    second = django_user_model.objects.create_user("spices", password="pw-123456", first_name="Hamburg Spice Traders")
    second.groups.add(Group.objects.get(name=IMPORTER))
    make_inspection(make_batch("RICE-2026-005"))
    run_due_jobs(refuse)
    make_batch("RICE-2026-001")
    certified = issue_certificate(make_inspection(make_batch("RICE-2026-002")))
    lifecycle.share(actors["exporter"], certified, "importer")
    revoked = issue_certificate(make_inspection(make_batch("RICE-2026-003")))
    lifecycle.share(actors["exporter"], revoked, "importer")
    make_inspection(revoked.batch, outcome="failed", agency="Port Lab")
    superseded = issue_certificate(make_inspection(make_batch("RICE-2026-004")))
    issue_certificate(make_inspection(superseded.batch))
    return {"certified": certified, "revoked": revoked.reload(), "superseded": superseded.reload()}


class Visit:
    """One browser at one width, walking the pages; what each page gets wrong is collected, so that
    one run names every finding."""

    def __init__(self, browser, base: str, width: int):
        self.browser, self.base, self.width = browser, base, width
        self.problems: dict[str, list[str]] = {}

    def log_in(self, username: str) -> None:
        log_in(self.browser, self.base, username)

    def open(self, path: str, name: str, *words: str) -> None:
        self.browser.get(self.base + path)
        self.check(name, *words)

    def check(self, name: str, *words: str) -> None:
        settled(self.browser)  # boxes measured on the final layout, not one a frame early
        problems = []
        shown = self.browser.find_element(By.TAG_NAME, "main").text
        problems += [f"missing words: {word!r}" for word in words if word not in shown]
        overflow = self.browser.execute_script(OVERFLOW)
        if overflow["scrolls"] > overflow["width"] or overflow["wide"]:
            problems.append(f"wider than the screen: {overflow}")
        problems += [f"too small to tap: {target}" for target in self.browser.execute_script(SMALL_TARGETS)]
        problems += serious_findings(self.browser)
        self.screenshot(name)
        if problems:
            self.problems[name] = problems

    def screenshot(self, name: str) -> None:
        """The whole page, not only what fits in the window."""
        shot = self.browser.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"every-page-{self.width}-{name}.png").write_bytes(base64.b64decode(shot["data"]))

    def qr(self, name: str, credential: dict) -> None:
        self.browser.execute_script("document.querySelector('.qr svg').scrollIntoView({block: 'center'})")
        settled(self.browser)  # the scrolled screen drawn before it is photographed
        width = self.browser.execute_script("return document.querySelector('.qr svg').getBoundingClientRect().width")
        scanned = read_qr(self.browser.find_element(By.CSS_SELECTOR, ".qr svg"), f"every-page-{self.width}-{name}-qr")
        if not scanned or decode_pixelpass(scanned) != credential:
            self.problems.setdefault(name, []).append(f"the QR code ({width:.0f} px wide) does not read back")
        if width < 300:  # a camera needs a dense code large, and a phone is often held at arm's length
            self.problems.setdefault(name, []).append(f"the QR code is only {width:.0f} px wide")

    def submit_as_is(self) -> None:
        """Post the form without the browser's own checks, so that the server's errors show."""
        self.browser.execute_script("document.querySelectorAll('form').forEach(form => form.noValidate = true)")
        submit = self.browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
        follow(self.browser, submit, lambda b: b.find_elements(By.CSS_SELECTOR, ".error-summary, .errors, .errorlist"))

    def focus_is_on(self, name: str, element_id: str) -> None:
        """Autofocus moves focus at a rendering step after the page loads, not as it loads: wait for it."""
        from selenium.common.exceptions import TimeoutException

        focus = "return document.activeElement.id"
        try:
            wait_for(self.browser, lambda b: b.execute_script(focus) == element_id, timeout=5)
        except TimeoutException:
            focused = self.browser.execute_script(focus)
            self.problems.setdefault(name, []).append(f"focus is on #{focused}, not #{element_id}")

    def verify(self, name: str, text: str, *words: str) -> None:
        self.browser.get(self.base + "/verify/")
        self.browser.execute_script("document.getElementById('id_text').value = arguments[0]", text)
        submit = self.browser.find_element(By.CSS_SELECTOR, "form.verify button[type=submit]")
        follow(self.browser, submit, lambda b: b.find_elements(By.CSS_SELECTOR, ".verdict, .errorlist"))
        self.check(name, *words)


def exporter_pages(visit: Visit, season: dict) -> None:
    certified, revoked, superseded = season["certified"], season["revoked"], season["superseded"]
    visit.log_in("exporter")
    visit.check("dashboard-exporter", "Welcome, Green Valley Exports Pvt Ltd", "Your batches", "Your certificates")
    visit.open("/batches/new/", "batch-form", "Submit a batch", "Batch number")
    visit.submit_as_is()
    visit.check("batch-form-failed", "Nothing was done: please correct what is marked", "This field is required.")
    visit.focus_is_on("batch-form-failed", "error-summary")
    visit.open("/batches/RICE-2026-001/", "batch-submitted", "Batch RICE-2026-001", "waiting for inspection")
    visit.open("/batches/RICE-2026-002/", "batch-certified", "Batch RICE-2026-002", "certified")
    visit.open("/batches/RICE-2026-003/", "batch-revoked", "Batch RICE-2026-003", "revoked")
    visit.open(
        "/batches/RICE-2026-005/",
        "batch-gave-up",
        "certificate not issued",
        "the certificate service did not accept the batch's details",
        "Our staff have been told and will retry it",
    )
    visit.open(
        f"/certificates/{certified.pk}/",
        "certificate-owner",
        "Quality certificate for batch RICE-2026-002",
        "This certificate is valid.",
        "Shared with importers",
        "Hamburg Fine Foods GmbH",
    )
    visit.qr("certificate-owner", certified.credential)
    visit.browser.find_element(By.ID, "id_importer").send_keys("Hamb")
    share = visit.browser.find_element(By.XPATH, "//main//button[text()='Share']")
    follow(visit.browser, share, lambda b: b.find_elements(By.CSS_SELECTOR, ".error-summary"))
    visit.check(
        "certificate-share-failed",
        "Nothing was done: please correct what is marked",
        "Importers matching “Hamb”",
        "already shared with them",
        "Share with Hamburg Spice Traders",
    )
    visit.focus_is_on("certificate-share-failed", "error-summary")
    visit.open(f"/certificates/{revoked.pk}/", "certificate-revoked", "Revoked on", "Re-test failed", "Port Lab")
    visit.open(f"/certificates/{superseded.pk}/", "certificate-superseded", "Replaced on", "after a passing re-test")
    visit.open("/notifications/", "notifications", "Notifications", "revoked")
    visit.open("/batches/NO-SUCH-BATCH/", "not-found", "Nothing here", "Back to your dashboard")


def other_pages(visit: Visit, season: dict) -> None:
    certified = season["certified"]
    visit.log_in("qa")
    visit.check("dashboard-qa", "Batches waiting for inspection", "RICE-2026-001")
    visit.open("/batches/RICE-2026-001/inspect/", "inspection-form", "Record the inspection of RICE-2026-001")
    visit.submit_as_is()
    visit.check("inspection-form-failed", "Nothing was done: please correct what is marked")
    visit.focus_is_on("inspection-form-failed", "error-summary")
    visit.open("/batches/new/", "forbidden", "You may not do that", "Back to your dashboard")

    visit.log_in("importer")
    visit.check("dashboard-importer", "Certificates shared with you", "RICE-2026-002")
    visit.open(f"/certificates/{certified.pk}/", "certificate-importer", "This certificate is valid.")
    visit.qr("certificate-importer", certified.credential)

    visit.log_in("staff")
    visit.check("dashboard-staff", "Welcome, Operator")
    visit.open("/batches/RICE-2026-005/", "batch-gave-up-staff", "certificate not issued", "400")
    visit.open("/batches/RICE-2026-002/", "batch-certified-staff", "Batch RICE-2026-002")

    visit.browser.delete_all_cookies()
    visit.open("/login/", "login", "Log in")
    visit.open(f"/c/{certified.public_token}/", "public-certificate", "This certificate is valid.", "RICE-2026-002")
    visit.qr("public-certificate", certified.credential)
    visit.open("/verify/", "verify", "Verify a certificate", "Nothing is stored.")
    visit.verify("verify-valid", json.dumps(certified.credential), "This certificate is valid.", "Rice")
    tampered = json.loads(json.dumps(certified.credential))
    tampered["credentialSubject"]["assessment"]["grade"] = "Grade 0 (premium)"
    visit.verify("verify-invalid", json.dumps(tampered), "This certificate is NOT valid.", "altered")
    visit.verify("verify-unreadable", "not a credential", "We could not read that as a credential")


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_reads_fits_and_passes_axe_at_desktop_and_phone_width(live_server, season, width):
    browser = start_browser(width, 900, phone=width < 600)
    try:
        visit = Visit(browser, live_server.url, width)
        exporter_pages(visit, season)
        other_pages(visit, season)
    finally:
        browser.quit()

    assert visit.problems == {}, "\n".join(f"{name}: {found}" for name, found in visit.problems.items())
