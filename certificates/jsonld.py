"""JSON-LD processing with bundled contexts only: canonicalisation never touches the network.

The W3C contexts come with PyLD; the project's own context is served at CONTEXT_PATH and bundled
here under its public URL, so credentials verify offline.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from pyld import BUNDLED_CONTEXTS, FrozenDocumentLoader, jsonld

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
CONTEXT_PATH = "/contexts/agriqcert/v1"
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


class CanonicalisationError(ValueError):
    """The document is not JSON-LD that can be canonicalised with the bundled contexts."""


def context_url() -> str:
    return settings.CREDENTIAL_CONTEXT_URL


def own_context() -> dict:
    return _read(CONTEXTS_DIR / "agriqcert-v1.jsonld")


@cache
def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _loader(*own_urls: str) -> FrozenDocumentLoader:
    """The W3C contexts and our own, bundled: under CREDENTIAL_CONTEXT_URL and under this site's
    own path (certificates signed before the setting existed name that)."""
    documents: dict[str, Any] = dict(BUNDLED_CONTEXTS)
    documents[EXAMPLES_V2] = CONTEXTS_DIR / "credentials-examples-v2.jsonld"
    for url in own_urls:
        documents[url] = CONTEXTS_DIR / "agriqcert-v1.jsonld"
    return FrozenDocumentLoader(documents=documents)


def document_loader() -> FrozenDocumentLoader:
    return _loader(context_url(), settings.SITE_URL + CONTEXT_PATH)


class UndefinedTerm(CanonicalisationError):
    """Safe mode: a property no context defines would be dropped, and so not signed."""


def _refuse_undefined(term: str | None) -> None:
    raise UndefinedTerm(
        f"the property {term!r} is not defined by the credential's contexts, so a signature could not cover it"
    )


def canonicalise(document: dict) -> str:
    """RDF Dataset Canonicalization (URDNA2015 / RDFC-1.0) as N-Quads, in safe mode: a property
    no context defines is refused, never silently dropped (jsonld-signatures does the same)."""
    processor = jsonld.JsonLdProcessor(on_property_dropped=_refuse_undefined)
    try:
        return processor.normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader()}
        )
    except jsonld.JsonLdError as exc:
        raise CanonicalisationError(_describe(exc)) from None


def _describe(exc: jsonld.JsonLdError) -> str:
    error: BaseException | None = exc
    while error is not None:  # PyLD wraps the loader's error in others
        details = getattr(error, "details", None)
        if isinstance(details, dict) and details.get("url"):
            return (
                f"the context {details['url']} is not one this verifier knows (it works offline with bundled contexts)"
            )
        error = error.__cause__ or error.__context__
    return f"not valid JSON-LD: {exc.code or exc.type}"
