"""The holder key that signs OpenID4VCI proof JWTs towards Inji Certify, as a did:key.

Certify reads the proof's `kid` as a did:key (proof/DIDkeysProofManager.java): Ed25519 is multicodec
0xed01 + 32 bytes; P-256 is 0x1200 (varint 0x80 0x24) + the 33-byte compressed point. The `alg` in
the JWT header is "Ed25519" or "ES256" — "EdDSA" is not in Certify's default
proof_signing_alg_values_supported (docker-compose certify-default.properties).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from jwt.api_jws import PyJWS

from credentials.keys import ED25519_PUB_MULTICODEC, multibase_encode

P256_PUB_MULTICODEC = b"\x80\x24"
PROOF_TYP = "openid4vci-proof+jwt"

# PyJWT names Ed25519 signatures "EdDSA"; Certify expects the alg name "Ed25519". A JWS encoder of
# our own carries both names without changing PyJWT's global registry.
_jws = PyJWS(algorithms=[])
_jws.register_algorithm("ES256", ECAlgorithm(ECAlgorithm.SHA256))
_jws.register_algorithm("Ed25519", OKPAlgorithm())


@dataclass(frozen=True)
class HolderKey:
    private_key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey
    alg: str  # "ES256" or "Ed25519"
    did: str

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    def sign_proof(self, claims: dict) -> str:
        """A compact JWS with the header Certify requires: typ, alg, and the did:key as kid."""
        return _jws.encode(
            _json_bytes(claims), self.private_key, algorithm=self.alg, headers={"typ": PROOF_TYP, "kid": self.kid}
        )


def _json_bytes(claims: dict) -> bytes:
    return json.dumps(claims, separators=(",", ":")).encode()


def did_key(private_key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> str:
    public = private_key.public_key()
    if isinstance(private_key, Ed25519PrivateKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return "did:key:" + multibase_encode(ED25519_PUB_MULTICODEC + raw)
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return "did:key:" + multibase_encode(P256_PUB_MULTICODEC + point)


def generate(alg: str) -> Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
    return Ed25519PrivateKey.generate() if alg == "Ed25519" else ec.generate_private_key(ec.SECP256R1())


def load_or_create(path: Path, alg: str) -> HolderKey:
    """Read the holder key, creating it (mode 0600) on first use; racing workers share one file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = _read(path)
    else:
        key = generate(alg)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    holds = "Ed25519" if isinstance(key, Ed25519PrivateKey) else "ES256"
    if holds != alg:
        raise ValueError(f"{path} holds an {holds} key but INJI_PROOF_ALG is {alg}: use another file or alg")
    return HolderKey(key, alg, did_key(key))


def _read(path: Path) -> Ed25519PrivateKey | ec.EllipticCurvePrivateKey:
    data = b""
    for _ in range(50):  # another process may be between creating and writing the file
        data = path.read_bytes()
        if data.strip():
            break
        time.sleep(0.02)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise ValueError(f"{path} does not hold a PEM private key (INJI_HOLDER_KEY_FILE)") from None
    if isinstance(key, Ed25519PrivateKey) or (
        isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
    ):
        return key
    raise ValueError(f"{path} holds neither an Ed25519 nor a P-256 key (INJI_HOLDER_KEY_FILE)")


@cache
def _holder(path: Path, alg: str) -> HolderKey:
    return load_or_create(path, alg)


def holder_key() -> HolderKey:
    return _holder(Path(settings.INJI_HOLDER_KEY_FILE), settings.INJI_PROOF_ALG)
