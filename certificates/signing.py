"""The local (mock-mode) issuer's key and signatures.

All workers of a deployment must sign with one key that survives restarts: it is kept in
MOCK_ISSUER_KEY_FILE (created on first use, mode 0600). Several machines share it by sharing that
file (a mounted secret).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from certificates.keys import SigningKey, load_or_create_key_file
from certificates.proofs import sign_ed25519_2020


def local_signing_key() -> SigningKey:
    return _key_for(Path(settings.MOCK_ISSUER_KEY_FILE))


@cache
def _key_for(path: Path) -> SigningKey:
    return load_or_create_key_file(path)


def sign(document: dict, created: str) -> dict:
    return sign_ed25519_2020(document, local_signing_key(), created)
