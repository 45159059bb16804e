"""The project's own JSON-LD context: the terms of a quality certificate, served and bundled.

It is served at CREDENTIAL_CONTEXT_URL (and at this site's CONTEXT_PATH, which certificates signed
before that setting existed name) and bundled under both URLs, so credentials verify offline.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from credentials.jsonld import read_context

CONTEXT_PATH = "/contexts/agriqcert/v1"
CONTEXT_FILE = Path(__file__).resolve().parent / "contexts" / "agriqcert-v1.jsonld"


def context_url() -> str:
    return settings.CREDENTIAL_CONTEXT_URL


def own_context() -> dict:
    return read_context(CONTEXT_FILE)


def bundled_contexts() -> dict[str, Path]:
    """Our context under every URL a certificate of ours may name (for credentials.jsonld)."""
    return {context_url(): CONTEXT_FILE, settings.SITE_URL + CONTEXT_PATH: CONTEXT_FILE}
