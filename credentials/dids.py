"""Which key signed a credential: a verification method (did:key, or did:web fetched over HTTPS) to a key.

did:key needs nothing but the identifier; a did:web document is fetched with the caller's fetcher,
only when its policy allows it (verification passes `fetch=None` otherwise).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.fetching import FetchError
from credentials.keys import KeyFormatError, public_key_from_multibase


class KeyResolutionError(ValueError):
    pass


def resolve_key(
    method: str, *, fetch: Callable[[str], Any] | None, known_keys: Mapping[str, Ed25519PublicKey]
) -> Ed25519PublicKey:
    if method in known_keys:
        return known_keys[method]
    if method.startswith("did:key:"):
        did, _, fragment = method.partition("#")
        fingerprint = did[len("did:key:") :]
        if fragment and fragment != fingerprint:
            raise KeyResolutionError(f"{method} is not a key of {did}")
        try:
            return public_key_from_multibase(fingerprint)
        except KeyFormatError as exc:
            raise KeyResolutionError(f"{did} is not an Ed25519 did:key: {exc}") from None
    if method.startswith("did:web:"):
        if fetch is None:
            raise KeyResolutionError(f"{method} is a did:web key, which cannot be resolved offline")
        return _resolve_did_web(method, fetch)
    raise KeyResolutionError(f"cannot resolve the verification method {method!r} (expected did:key or did:web)")


def did_web_url(did: str) -> str:
    parts = [unquote(part) for part in did[len("did:web:") :].split(":")]
    if len(parts) == 1:
        return f"https://{parts[0]}/.well-known/did.json"
    return f"https://{parts[0]}/{'/'.join(parts[1:])}/did.json"


def _resolve_did_web(method: str, fetch: Callable[[str], Any]) -> Ed25519PublicKey:
    did = method.split("#", 1)[0]
    try:
        did_document = fetch(did_web_url(did))
    except FetchError as exc:
        raise KeyResolutionError(f"could not fetch the DID document of {did}: {exc}") from None
    methods = did_document.get("verificationMethod") if isinstance(did_document, dict) else None
    for candidate in methods if isinstance(methods, list) else []:
        if isinstance(candidate, dict) and candidate.get("id") in (method, "#" + method.partition("#")[2]):
            if "publicKeyMultibase" in candidate:
                try:
                    return public_key_from_multibase(candidate["publicKeyMultibase"])
                except KeyFormatError as exc:
                    raise KeyResolutionError(f"{method}: {exc}") from None
            return _key_from_jwk(method, candidate.get("publicKeyJwk"))
    raise KeyResolutionError(f"the DID document of {did} has no key {method}")


def _key_from_jwk(method: str, jwk: object) -> Ed25519PublicKey:
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyResolutionError(f"{method} is not an Ed25519 key")
    try:
        x = str(jwk["x"])
        return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    except (KeyError, ValueError):
        raise KeyResolutionError(f"{method}: its publicKeyJwk is not an Ed25519 public key") from None
