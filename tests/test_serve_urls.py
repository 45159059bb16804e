"""`manage.py serve ADDR:PORT` signs credentials whose every URL reaches the server that signed them.

SITE_URL is decided from the address before the settings are read (manage.py), so the context, the
status list, the did:web issuer and the public links all derive from the same value.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command

from core.environment import SERVE_ADDRESS
from manage import site_url_from_serve_address
from tests.commands import serving_the_demo

ROOT = Path(__file__).resolve().parent.parent
# Contexts of the W3C and the security suites: bundled, never fetched from us.
STANDARD_CONTEXTS = ("https://www.w3.org/", "https://w3id.org/")


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def logged_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/login/", timeout=10).raise_for_status()
    form = {"username": username, "password": "agriqcert-demo", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    response = session.post(f"{base}/login/", data=form, timeout=10)
    assert response.url == f"{base}/", "the demo exporter could not log in"
    return session


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    """`manage.py serve --demo 127.0.0.1:PORT`, as scripts/run starts it, with no SITE_URL set;
    yields its address once the demo rice batch is certified."""
    unset = ("SITE_URL", "CREDENTIAL_CONTEXT_URL", "ALLOWED_HOSTS")
    # MOCK_ISSUER_DID_WEB: the issuer's DID is derived from SITE_URL too.
    with serving_the_demo(tmp_path_factory.mktemp("serve"), unset=unset, MOCK_ISSUER_DID_WEB="true") as (address, _):
        yield address


def test_every_url_in_a_credential_signed_under_serve_names_the_address_served(served):
    base = f"http://{served}"
    session = logged_in(base, "exporter")
    [certificate] = session.get(f"{base}/api/v1/certificates/?batch=DEMO-RICE-001", timeout=10).json()["results"]
    credential = session.get(f"{base}/api/v1/certificates/{certificate['id']}/credential/", timeout=10).json()

    urls = [s for s in strings(credential) if "://" in s and not s.startswith(STANDARD_CONTEXTS)]
    assert f"{base}/contexts/agriqcert/v1" in credential["@context"]
    assert credential["credentialStatus"]["statusListCredential"] in urls
    assert [url for url in urls if not url.startswith(f"{base}/")] == []
    did = f"did:web:{served.replace(':', '%3A')}"
    assert credential["issuer"] == did and credential["proof"]["verificationMethod"].startswith(did + "#")

    # …and each of them answers on that server.
    for url in {url.partition("#")[0] for url in urls}:
        assert requests.get(url, timeout=10).status_code == 200, url
    status_list = requests.get(credential["credentialStatus"]["statusListCredential"], timeout=10).json()
    assert status_list["id"] == credential["credentialStatus"]["statusListCredential"]
    assert requests.get(f"{base}/.well-known/did.json", timeout=10).json()["id"] == did


def test_the_public_link_of_a_certificate_served_under_serve_opens_on_that_server(served):
    base = f"http://{served}"
    session = logged_in(base, "exporter")
    [certificate] = session.get(f"{base}/api/v1/certificates/?batch=DEMO-RICE-001", timeout=10).json()["results"]

    page = session.get(f"{base}/certificates/{certificate['id']}/", timeout=10).text

    public = base + certificate["links"]["public_page"]
    assert public in page
    assert requests.get(public, timeout=10).status_code == 200


@pytest.mark.parametrize(
    "argv, site_url",
    [
        (["serve"], "http://127.0.0.1:8000"),
        (["serve", "8080"], "http://127.0.0.1:8080"),
        (["serve", "--demo", "127.0.0.1:8080"], "http://127.0.0.1:8080"),
        (["serve", "-v", "2", "[::1]:8080", "--demo"], "http://[::1]:8080"),
        (["serve", "0.0.0.0:8080"], f"http://{socket.getfqdn()}:8080"),  # a name a browser can open
    ],
)
def test_serve_sets_site_url_from_the_address_before_the_settings_are_read(monkeypatch, argv, site_url):
    monkeypatch.setenv("SITE_URL", "")  # unset, and restored after the test

    site_url_from_serve_address(["manage.py", *argv])

    assert os.environ["SITE_URL"] == site_url


def test_a_site_url_set_by_the_operator_is_kept_by_serve(monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://certs.example.org")

    site_url_from_serve_address(["manage.py", "serve", "0.0.0.0:8080"])

    assert os.environ["SITE_URL"] == "https://certs.example.org"


def test_other_commands_leave_site_url_unset(monkeypatch):
    monkeypatch.setenv("SITE_URL", "")  # unset, and restored after the test

    site_url_from_serve_address(["manage.py", "runserver", "127.0.0.1:8080"])

    assert os.environ["SITE_URL"] == ""


def test_serve_started_without_manage_py_refuses_to_sign_links_to_another_address(monkeypatch, settings):
    monkeypatch.setenv("SITE_URL", "")  # unset, and restored after the test
    settings.SITE_URL = "http://localhost:8000"  # the default: nothing set it from the address

    with pytest.raises(CommandError, match=f"listens on {SERVE_ADDRESS}, but the links it would sign name"):
        call_command("serve")
