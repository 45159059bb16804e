"""An importer on a phone (390 CSS pixels wide, a touch screen) opens /verify/, picks the
certificate's QR code PNG, and reads the verdict; the page offers the camera, and works without
live scanning where the browser has no BarcodeDetector (as headless Chromium on Linux)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from selenium.webdriver.common.by import By

from credentials.qr import encode_pixelpass
from tests.browser import screenshot, start_browser, wait_for
from tests.factories import issue_certificate, make_inspection
from tests.photos import busy_background, jpeg

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium on Linux has no BarcodeDetector: one that reads `%s`, and a camera that films a grey
# square, stand in for a phone's before the page loads.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return [{rawValue: %s}]; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return canvas.captureStream();
};
"""


@pytest.fixture
def phone():
    driver = start_browser(width=390, height=1100, phone=True)
    yield driver
    driver.quit()


def upload(phone, base: str, path) -> None:
    phone.get(base + "/verify/")
    phone.find_element(By.ID, "id_file").send_keys(str(path))
    phone.find_element(By.CSS_SELECTOR, "button.primary").click()


def test_an_importer_verifies_the_qr_png_on_a_phone(phone, live_server, batch, tmp_path):
    certificate = issue_certificate(make_inspection(batch))
    png = tmp_path / "certificate-qr.png"
    png.write_bytes(Client().get(f"/c/{certificate.public_token}/qr.png").content)

    phone.get(live_server.url + "/verify/")
    assert phone.execute_script("return matchMedia('(pointer: coarse)').matches")
    assert phone.find_element(By.ID, "id_photo").is_displayed()  # "Take a photo of the QR code"
    assert phone.find_element(By.ID, "id_photo").get_attribute("capture") == "environment"
    assert not phone.find_element(By.ID, "live-scan").is_displayed()  # no BarcodeDetector here
    screenshot(phone, "verify-phone-1-form")

    upload(phone, live_server.url, png)
    wait_for(phone, lambda b: "This certificate is valid." in b.page_source)
    verdict = phone.find_element(By.CSS_SELECTOR, ".verdict").text
    assert verdict == "✔ This certificate is valid."
    assert "Rice" in phone.find_element(By.CSS_SELECTOR, "dl.goods").text
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 390  # nothing runs off the side
    screenshot(phone, "verify-phone-2-valid")


def test_a_photo_without_a_code_is_told_what_to_try_on_a_phone(phone, live_server, tmp_path):
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(jpeg(busy_background((1200, 900)), quality=60))

    upload(phone, live_server.url, photo)

    wait_for(phone, lambda b: "We could not find a QR code in that picture." in b.page_source)
    assert "closer" in phone.find_element(By.CSS_SELECTOR, ".errorlist").text
    screenshot(phone, "verify-phone-3-no-code")


def test_where_the_browser_can_scan_live_the_code_is_read_and_verified(phone, live_server, batch):
    certificate = issue_certificate(make_inspection(batch))
    phone.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": FAKE_CAMERA % json.dumps(encode_pixelpass(certificate.credential))},
    )

    phone.get(live_server.url + "/verify/")
    phone.find_element(By.ID, "live-scan-start").click()

    wait_for(phone, lambda b: "This certificate is valid." in b.page_source)
