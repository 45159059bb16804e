"""Which key signed a credential: a verification method (did:key, or did:web fetched over HTTPS) to a key.

did:key needs nothing but the identifier; a did:web document is fetched only when the caller's
policy allows it (verification passes `offline`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from credentials.keys import KeyFormatError, public_key_from_multibase

HTTP_TIMEOUT_SECONDS = 5


class KeyResolutionError(ValueError):
    pass


def resolve_key(method: str, *, offline: bool, known_keys: Mapping[str, Ed25519PublicKey]) -> Ed25519PublicKey:
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
        if offline:
            raise KeyResolutionError(f"{method} is a did:web key, which cannot be resolved offline")
        return _resolve_did_web(method)
    raise KeyResolutionError(f"cannot resolve the verification method {method!r} (expected did:key or did:web)")


def did_web_url(did: str) -> str:
    parts = [requests.utils.unquote(part) for part in did[len("did:web:") :].split(":")]
    if len(parts) == 1:
        return f"https://{parts[0]}/.well-known/did.json"
    return f"https://{parts[0]}/{'/'.join(parts[1:])}/did.json"


def _resolve_did_web(method: str) -> Ed25519PublicKey:
    did = method.split("#", 1)[0]
    try:
        response = requests.get(did_web_url(did), timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        did_document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise KeyResolutionError(f"could not fetch the DID document of {did}: {exc.__class__.__name__}") from None
    for candidate in did_document.get("verificationMethod", []):
        if candidate.get("id") in (method, "#" + method.partition("#")[2]):
            if "publicKeyMultibase" in candidate:
                try:
                    return public_key_from_multibase(candidate["publicKeyMultibase"])
                except KeyFormatError as exc:
                    raise KeyResolutionError(f"{method}: {exc}") from None
            jwk = candidate.get("publicKeyJwk", {})
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
                return Ed25519PublicKey.from_public_bytes(raw)
            raise KeyResolutionError(f"{method} is not an Ed25519 key")
    raise KeyResolutionError(f"the DID document of {did} has no key {method}")
