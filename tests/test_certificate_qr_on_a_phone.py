"""On a 390 px phone the certificate page shows its QR code on the first screen, under the verdict:
the exporter, the importer it was shared with and anyone with the public link see the code, and a
camera reads it off that screen, without scrolling past what the certificate says and how it was
checked. The downloads follow the code at once (within a screen and a half)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from certificates import lifecycle
from credentials.qr import decode_pixelpass
from tests.browser import log_in, read_qr_on_screen, settled, start_browser
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db(transaction=True)

# Where the code and the first download are on the page as it opens, in CSS pixels from the top of
# the screen, and how tall the screen is.
BOXES = """
const code = document.querySelector('.qr svg').getBoundingClientRect();
const json = [...document.querySelectorAll('.qr a')].find(a => a.textContent.includes('JSON'));
return {scrolled: scrollY, screen: innerHeight, top: code.top, bottom: code.bottom,
        download: json.getBoundingClientRect().top};
"""


def test_on_a_phone_the_certificates_qr_code_is_on_the_first_screen_and_reads_from_it(live_server, actors):
    certificate = issue_certificate(make_inspection(make_batch("RICE-2026-002")))
    lifecycle.share(actors["exporter"], certificate, "importer")
    browser = start_browser(390, 844, phone=True)  # an iPhone 12–15's screen
    found = {}
    try:
        for reader, path in (
            ("exporter", f"/certificates/{certificate.pk}/"),
            ("importer", f"/certificates/{certificate.pk}/"),
            ("anyone", f"/c/{certificate.public_token}/"),
        ):
            if reader == "anyone":
                browser.delete_all_cookies()
            else:
                log_in(browser, live_server.url, reader)
            browser.get(live_server.url + path)
            settled(browser)
            assert "This certificate is valid." in browser.find_element(By.TAG_NAME, "main").text
            boxes = browser.execute_script(BOXES)
            scanned = read_qr_on_screen(browser, f"certificate-qr-first-screen-{reader}")
            found[reader] = {**boxes, "reads": bool(scanned) and decode_pixelpass(scanned) == certificate.credential}
    finally:
        browser.quit()

    for reader, seen in found.items():
        assert seen["scrolled"] == 0, f"{reader}: the page opened scrolled to {seen['scrolled']} px"
        assert 0 <= seen["top"] and seen["bottom"] <= seen["screen"], (
            f"{reader}: the code is off the first screen: {seen}"
        )
        assert seen["download"] < 1.5 * seen["screen"], f"{reader}: the JSON download is far below the code: {seen}"
        assert seen["reads"], f"{reader}: the code on the first screen does not read back"
