"""The local (mock-mode) issuer's key and signatures.

All workers of a deployment must sign with one key that survives restarts: it is kept in
MOCK_ISSUER_KEY_FILE (created on first use, mode 0600). Several machines share it by sharing that
file (a mounted secret).

The issuer is did:key (the embedded default: the key is the identity) or, with MOCK_ISSUER_DID_WEB,
did:web:<SITE_URL's host>, whose DID document lists the current key and every retired one
(MOCK_ISSUER_KEY_FILE + ".retired"), so rotating the key breaks no certificate.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from credentials.keys import SigningKey, load_or_create_key_file, public_key_multibase, read_public_keys
from credentials.proofs import sign_ed25519_2020


def local_signing_key() -> SigningKey:
    path = Path(settings.MOCK_ISSUER_KEY_FILE)
    key = _key_for(path, _modified(path))  # a rotated key is picked up without a restart
    return key.under_did(web_did()) if settings.MOCK_ISSUER_DID_WEB else key


def web_did() -> str:
    """did:web for SITE_URL's host (a port is percent-encoded, as the did:web method says)."""
    return "did:web:" + quote(urlsplit(settings.SITE_URL).netloc.lower(), safe="")


def retired_keys_file() -> Path:
    return Path(str(settings.MOCK_ISSUER_KEY_FILE) + ".retired")


def local_verification_keys() -> dict[str, Ed25519PublicKey]:
    """Every key the did:web issuer has had, by verification method id: this deployment
    verifies its own certificates without fetching its own DID document."""
    if not settings.MOCK_ISSUER_DID_WEB or not Path(settings.MOCK_ISSUER_KEY_FILE).exists():
        return {}
    did = web_did()
    current = local_signing_key()
    keys = {current.verification_method: current.private_key.public_key()}
    retired = retired_keys_file()
    for key in _retired_keys(retired, _modified(retired)):  # read again only after a rotation
        keys[f"{did}#{public_key_multibase(key)}"] = key
    return keys


def local_issuer_dids() -> frozenset[str]:
    """The DIDs this deployment's own key signs as: did:web when enabled, and always the key's
    did:key (certificates signed before did:web was switched on)."""
    key = local_signing_key()
    return frozenset({key.did, SigningKey.from_private_key(key.private_key).did})


def did_document() -> dict:
    did = web_did()
    methods = [
        {
            "id": method,
            "type": "Ed25519VerificationKey2020",
            "controller": did,
            "publicKeyMultibase": public_key_multibase(key),
        }
        for method, key in local_verification_keys().items()
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/ed25519-2020/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids[:1],
    }


def _modified(path: Path) -> tuple[int, int, int]:
    """Changes whenever the file does: a rotation replaces the key file (a new inode) and appends
    to the retired list (a new size), even within one tick of the file system's clock."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (status.st_mtime_ns, status.st_size, status.st_ino)


@cache
def _key_for(path: Path, modified: tuple[int, int, int]) -> SigningKey:
    return load_or_create_key_file(path)


@lru_cache(maxsize=4)
def _retired_keys(path: Path, modified: tuple[int, int, int]) -> tuple[Ed25519PublicKey, ...]:
    return tuple(read_public_keys(path))


def sign(document: dict, created: str) -> dict:
    return sign_ed25519_2020(document, local_signing_key(), created)
