"""Ed25519 keys as did:key identifiers and multibase strings, and the mock issuer's own key."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

ED25519_PUB_MULTICODEC = b"\xed\x01"
ED25519_PRIV_MULTICODEC = b"\x80\x26"


class KeyFormatError(ValueError):
    """A key or DID is not an Ed25519 key in a form this module reads."""


def multibase_encode(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


def multibase_decode(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("expected a base58btc multibase value starting with 'z'")
    try:
        return base58.b58decode(value[1:])
    except ValueError:
        raise KeyFormatError("the multibase value is not valid base58") from None


def public_key_multibase(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return multibase_encode(ED25519_PUB_MULTICODEC + raw)


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    data = multibase_decode(value)
    if len(data) != 34 or not data.startswith(ED25519_PUB_MULTICODEC):
        raise KeyFormatError("not an Ed25519 public key (multicodec 0xed01 followed by 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    data = multibase_decode(value)
    if len(data) != 34 or not data.startswith(ED25519_PRIV_MULTICODEC):
        raise KeyFormatError("not an Ed25519 private key (multicodec 0x1300 followed by 32 bytes)")
    return Ed25519PrivateKey.from_private_bytes(data[2:])


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    did: str
    verification_method: str

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        fingerprint = public_key_multibase(private_key.public_key())
        did = f"did:key:{fingerprint}"
        return cls(private_key, did, f"{did}#{fingerprint}")

    def under_did(self, did: str) -> SigningKey:
        """The same key named as a key of `did` (e.g. a did:web), its fingerprint as the fragment
        so that every key the DID has ever had keeps its own id."""
        return SigningKey(self.private_key, did, f"{did}#{public_key_multibase(self.private_key.public_key())}")

    @property
    def public_multibase(self) -> str:
        return public_key_multibase(self.private_key.public_key())


def load_or_create_key_file(path: Path) -> SigningKey:
    """Read the mock issuer's key, creating it on first use.

    O_EXCL makes creation safe when several local workers start at once: one creates the file,
    the others read it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    with os.fdopen(fd, "w") as handle:
        handle.write(multibase_encode(ED25519_PRIV_MULTICODEC + raw) + "\n")
    return SigningKey.from_private_key(key)


def rotate_key_file(path: Path, retired: Path) -> tuple[SigningKey, SigningKey]:
    """Replace the key in `path` by a new one, first appending the old public key to `retired`
    (one multibase per line) so that certificates it signed keep verifying. A crash between the
    two steps leaves the old key in place and listed as retired: rotating again completes it.
    Two rotations at once are serialised by a lock, so neither replaces a key it never retired."""
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _rotate(path, retired)


def _rotate(path: Path, retired: Path) -> tuple[SigningKey, SigningKey]:
    old = _read_key_file(path)
    listed = retired.read_text().split() if retired.exists() else []
    if old.public_multibase not in listed:
        with retired.open("a") as handle:
            handle.write(old.public_multibase + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    new = Ed25519PrivateKey.generate()
    raw = new.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    staging = path.with_name(path.name + ".new")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(multibase_encode(ED25519_PRIV_MULTICODEC + raw) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
    return old, SigningKey.from_private_key(new)


def read_public_keys(path: Path) -> list[Ed25519PublicKey]:
    """The retired public keys listed in `path` (none when it does not exist).

    A line that is not a key is logged and skipped: one damaged line must not stop every
    verification and the DID document (only the certificates of that key lose it)."""
    if not path.exists():
        return []
    keys = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            keys.append(public_key_from_multibase(line.strip()))
        except KeyFormatError as exc:
            log.error("retired_keys=%s line=%d outcome=skipped error=%s", path, number, exc)
    return keys


def _read_key_file(path: Path) -> SigningKey:
    for _ in range(50):  # another process may be between creating and writing the file
        text = path.read_text().strip()
        if text:
            break
        time.sleep(0.02)
    try:
        return SigningKey.from_private_key(private_key_from_multibase(text))
    except KeyFormatError as exc:
        raise KeyFormatError(f"{path} does not hold an Ed25519 private key: {exc}") from None
