"""Fetching a JSON document a credential names (a DID document, a status list) over HTTPS."""

from __future__ import annotations

from typing import Any

import requests

HTTP_TIMEOUT_SECONDS = 5


class FetchError(Exception):
    """The document could not be fetched or is not JSON; the message names the cause, not the URL."""


def fetch_json(url: str) -> Any:
    """The JSON at `url`, without following redirects."""
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise FetchError(exc.__class__.__name__) from None
