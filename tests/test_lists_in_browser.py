"""The list pages as people see them in headless Chromium, at desktop width and on a 390 px phone:
the words and the total, a next page that works, and nothing wider than the screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from certificates.models import Batch, Certificate
from core.clock import utcnow
from notifications.delivery import notify
from notifications.models import NotificationKind
from tests.axe import serious_findings
from tests.browser import log_in, screenshot, start_browser, wait_for
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]

# Elements reaching past the viewport's right edge (or into it from the left: a skip link parked
# wholly off-screen until focused is fine), and how wide the page scrolls.
OVERFLOW = """
const width = document.documentElement.clientWidth, wide = [];
for (const element of document.querySelectorAll('body *')) {
  const box = element.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  if (box.right > width + 1 || (box.left < -1 && box.right > 0)) {
    wide.push(`${element.tagName.toLowerCase()}.${element.className} ${Math.round(box.left)}–${Math.round(box.right)}`);
  }
}
return {width: width, scrolls: document.documentElement.scrollWidth, wide: wide.slice(0, 10)};
"""


@pytest.fixture(params=WIDTHS)
def browser(request):
    width = request.param
    driver = start_browser(width, 900, phone=width < 600)
    driver.width_name = "phone" if width < 600 else "desktop"
    yield driver
    driver.quit()


@pytest.fixture
def season(actors):
    """An exporter's season: 30 batches, the newest certified, inspected by `qa` and shared with the
    importer, another failed; notifications; a rival's batch waiting for inspection."""
    start = utcnow() - timedelta(days=40)
    for n in range(30):
        batch = make_batch(f"RICE-2026-{n:03d}", product="Rice" if n % 2 else "Basmati rice, long grain sortex")
        Batch.objects(pk=batch.pk).update_one(set__created_at=start + timedelta(days=n))
    certified = Batch.objects.get(batch_number="RICE-2026-029")
    certificate = issue_certificate(make_inspection(certified, inspector="qa"))
    Certificate.objects(pk=certificate.pk).update_one(add_to_set__shared_with="importer")
    make_inspection(Batch.objects.get(batch_number="RICE-2026-028"), inspector="qa", outcome="failed")
    Batch.objects(batch_number="RICE-2026-028").update_one(set__status="inspection_failed")
    make_batch("COFFEE-ANTIOQUIA-SUPREMO-2026-01", exporter="other_exporter", origin_country="CO")
    for n in range(7):
        notify("exporter", NotificationKind.CERTIFICATE_READY, f"Certificate ready for RICE-2026-{n:03d}", "Ready.")
    return certified


def look(browser, name: str) -> str:
    """Check that nothing is wider than the screen and no serious accessibility finding, keep the
    screenshot, and return the words the page shows."""
    overflow = browser.execute_script(OVERFLOW)
    assert overflow["scrolls"] <= overflow["width"], f"{name} scrolls sideways: {overflow}"
    assert overflow["wide"] == [], f"{name}: elements wider than the screen: {overflow['wide']}"
    assert serious_findings(browser) == [], name
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, f"lists-{browser.width_name}-{name}")
    browser.execute_script("document.querySelector('.total, main section + section, table')?.scrollIntoView()")
    screenshot(browser, f"lists-{browser.width_name}-{name}-rows")
    return browser.find_element(By.TAG_NAME, "main").text


def test_an_exporter_finds_every_batch_page_by_page(browser, live_server, season):
    log_in(browser, live_server.url, "exporter")
    dashboard = look(browser, "exporter-dashboard")
    assert "All 30 batches →" in dashboard and "All 7 notifications →" in dashboard

    browser.find_element(By.LINK_TEXT, "All 30 batches →").click()
    wait_for(browser, lambda b: b.current_url.endswith("/batches/"))
    first = look(browser, "exporter-batches")
    assert "Showing 1–25 of 30 batches." in first and "Page 1 of 2" in first
    assert "RICE-2026-029" in first and "RICE-2026-000" not in first

    browser.find_element(By.PARTIAL_LINK_TEXT, "Next page").click()
    wait_for(browser, lambda b: "page=2" in b.current_url)
    second = look(browser, "exporter-batches-page-2")
    assert "Showing 26–30 of 30 batches." in second and "RICE-2026-000" in second

    browser.find_element(By.NAME, "q").send_keys("rice-2026-02")
    browser.find_element(By.CSS_SELECTOR, "select[name=status] option[value=inspection_failed]").click()
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
    wait_for(browser, lambda b: "status=inspection_failed" in b.current_url)
    found = look(browser, "exporter-batches-searched")
    assert "1 batch matching your search." in found and "RICE-2026-028" in found


def test_an_inspector_reopens_a_certified_batch_from_their_history(browser, live_server, season):
    log_in(browser, live_server.url, "qa")
    dashboard = look(browser, "qa-dashboard")
    assert "Your recent inspections" in dashboard and "RICE-2026-029" in dashboard

    browser.get(live_server.url + "/inspections/")
    history = look(browser, "qa-inspections")
    assert "2 inspections." in history

    browser.find_element(By.LINK_TEXT, "Record a re-test").click()
    wait_for(browser, lambda b: b.current_url.endswith("/inspect/"))

    browser.get(live_server.url + "/batches/?q=coffee")
    found = look(browser, "qa-batches-searched")
    assert "COFFEE-ANTIOQUIA-SUPREMO-2026-01" in found and "Record inspection" in found

    browser.get(live_server.url + "/inspections/to-do/")
    queue = look(browser, "qa-inspection-queue")
    assert "30 batches." in queue  # 28 submitted, one failed awaiting a re-test, the rival's


def test_an_importer_lists_what_was_shared(browser, live_server, season):
    log_in(browser, live_server.url, "importer")
    look(browser, "importer-dashboard")

    browser.get(live_server.url + "/certificates/shared/")
    shared = look(browser, "importer-shared")
    assert "1 certificate." in shared and "RICE-2026-029" in shared and "valid" in shared
