"""AgriQCert's own admin pages on a 390 px phone: no page scrolls sideways, nothing reaches past
the screen's edge — long tables wrap inside their own scrolling box, as Django's change lists do."""

from __future__ import annotations

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from certificates.models import Certificate
from issuance.models import IssuanceJob
from notifications.delivery import notify
from notifications.models import NotificationKind
from tests.browser import screenshot, start_browser, wait_for
from tests.factories import issue_certificate, make_batch, make_inspection, run_due_jobs
from tests.test_lists_in_browser import OVERFLOW

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone():
    driver = start_browser(390, 900, phone=True)
    yield driver
    driver.quit()


@pytest.fixture
def day(batch):
    from issuance.inji import TransientIssuerError

    certificate = issue_certificate(make_inspection(batch))
    make_inspection(make_batch("COFFEE-ANTIOQUIA-SUPREMO-2026-01", origin_country="CO"))

    def unavailable(*args, **kwargs):
        raise TransientIssuerError("Inji Certify is unavailable (503 server_error: try again)")

    run_due_jobs(unavailable)
    notify("staff", NotificationKind.ISSUANCE_FAILED, "Issuance will be retried", "Inji Certify was unavailable.")
    return certificate


def pages(certificate: Certificate) -> dict[str, str]:
    job = IssuanceJob.objects.first()
    return {
        "jobs": reverse("admin:issuance-jobs"),
        "job": reverse("admin:issuance-job", args=[job.pk]),
        "workers": reverse("admin:issuance-workers"),
        "batches": reverse("admin:certificates-batches"),
        "batch": reverse("admin:certificates-batch", args=[certificate.batch.pk]),
        "inspections": reverse("admin:certificates-inspections"),
        "certificates": reverse("admin:certificates-certificates"),
        "certificate": reverse("admin:certificates-certificate", args=[certificate.pk]),
        "notifications": reverse("admin:notifications-list"),
    }


def test_no_custom_admin_page_scrolls_sideways_on_a_phone(phone, live_server, admin_user, day):
    phone.get(live_server.url + "/admin/login/")
    phone.find_element(By.NAME, "username").send_keys("admin")
    phone.find_element(By.NAME, "password").send_keys("password")
    phone.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(phone, lambda b: b.current_url.endswith("/admin/"))

    problems = {}
    for name, url in pages(day).items():
        phone.get(live_server.url + url)
        overflow = phone.execute_script(OVERFLOW)
        screenshot(phone, f"admin-phone-{name}")
        if overflow["scrolls"] > overflow["width"] or overflow["wide"]:
            problems[name] = overflow
    assert problems == {}, "\n".join(f"{name}: {overflow}" for name, overflow in problems.items())
