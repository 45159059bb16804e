"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium, for page tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def start_browser(width: int = 1280, height: int = 900, *, phone: bool = False) -> webdriver.Chrome:
    """`phone`: a touch screen `width` CSS pixels wide at twice the pixel density, as a phone's —
    so that (pointer: coarse) and the like hold, not merely a narrow window."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists() and not shutil.which(Path(program).name):
            raise RuntimeError(
                f"{program} is missing: install Debian's chromium and chromium-driver (scripts/test does, as root)"
            )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    if phone:
        metrics = {"width": width, "height": height, "pixelRatio": 2, "touch": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(5)
    return browser


def screenshot(browser: webdriver.Chrome, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def wait_for(browser: webdriver.Chrome, condition, timeout: float = 10):
    """Wait until condition(browser) is truthy (pages load after clicks asynchronously; an element
    found on the old page goes stale, which just means: not yet)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    waiting = WebDriverWait(
        browser, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )
    return waiting.until(condition)


# Resolves once the page has loaded, its fonts are ready and two frames have been drawn with them:
# the first frame after that lays out with the final fonts, the second is painted.
SETTLED = """
const done = arguments[arguments.length - 1];
const loaded = document.readyState === "complete"
  ? Promise.resolve() : new Promise(resolve => addEventListener("load", resolve, {once: true}));
loaded.then(() => document.fonts.ready)
  .then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));
"""


def settled(browser: webdriver.Chrome) -> None:
    """Wait for the page to settle (loaded, fonts ready, a frame drawn), before measuring boxes on it."""
    browser.set_script_timeout(30)
    browser.execute_async_script(SETTLED)


def document_id(browser: webdriver.Chrome) -> str:
    """The id Chrome gives the document the tab shows: a new one for each page it loads. Asked of
    the browser, not the page, so it answers while one page is replacing another."""
    return browser.execute_cdp_cmd("Page.getFrameTree", {})["frameTree"]["frame"]["loaderId"]


def follow(browser: webdriver.Chrome, element, until, timeout: float = 10) -> None:
    """Click `element` (a link or a form's button) and wait for the page it leads to: a new document
    in the tab, settled, on which `until(browser)` holds.

    A click returns before the navigation it starts: the next command may read the old page, or
    reach it while it is being replaced, which chromedriver answers with errors that are not "no
    such element" ("Node with given id does not belong to the document", "document unloaded while
    waiting for result") and that stop a wait. Nothing here touches a page until the new one is in."""
    old = document_id(browser)
    element.click()
    wait_for(browser, lambda b: document_id(b) != old, timeout)
    settled(browser)
    wait_for(browser, until, timeout)


def log_in(browser: webdriver.Chrome, base: str, username: str, password: str = "pw-123456") -> None:
    """Sign in on the site's own login page, as a person types it, and wait for the dashboard."""
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(base + "/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    submit = browser.find_element(By.CSS_SELECTOR, "main button[type=submit]")
    follow(browser, submit, lambda b: b.current_url == base + "/" and "Welcome" in b.page_source)


def read_qr(element, name: str) -> str:
    """What a phone would read from the QR code as it appears on screen: a screenshot of the
    element, decoded by zbar (Debian's zbar-tools). A cropped or blurred code reads as nothing."""
    return _zbar(element.screenshot_as_png, name)


def read_qr_on_screen(browser: webdriver.Chrome, name: str) -> str:
    """What a phone's camera would read from the screen as the browser shows it now (the viewport,
    not the whole page): nothing unless a whole code is in view."""
    return _zbar(browser.get_screenshot_as_png(), name)


def _zbar(png: bytes, name: str) -> str:
    import subprocess

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(png)
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip()
