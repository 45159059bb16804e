"""QR codes for certificates, in the PixelPass encoding that Inji Verify reads.

PixelPass: JSON → CBOR → zlib (level 9) → Base45. Base45 uses exactly the QR alphanumeric
alphabet, so the code stays compact. A credential too large for a phone camera to read reliably
gets a QR code holding its verification URL instead.
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass

import base45
import cbor2
import segno

# Version 25 (117×117 modules) is about the densest code phone cameras read reliably from paper.
MAX_QR_VERSION = 25
# PixelPass's own default; a certificate's QR fits in about version 22 with it.
ERROR_CORRECTION = "l"


class QRDecodeError(ValueError):
    pass


def encode_pixelpass(credential: dict) -> str:
    return base45.b45encode(zlib.compress(cbor2.dumps(credential), 9)).decode("ascii")


def decode_pixelpass(text: str) -> dict:
    """Decode PixelPass QR text back into the credential it carries."""
    try:
        compressed = base45.b45decode(text.strip())
    except (ValueError, TypeError) as exc:
        raise QRDecodeError(f"not Base45 QR data: {exc}") from None
    try:
        raw = zlib.decompress(compressed)
    except zlib.error:
        raise QRDecodeError("the QR data is Base45 but not zlib-compressed") from None
    try:
        document = cbor2.loads(raw)
    except (cbor2.CBORDecodeError, ValueError):
        try:
            document = json.loads(raw)
        except ValueError:
            raise QRDecodeError("the QR data holds neither CBOR nor JSON") from None
    if not isinstance(document, dict):
        raise QRDecodeError("the QR data does not hold a credential (a JSON object)")
    return document


@dataclass(frozen=True)
class CertificateQR:
    data: str
    carries_credential: bool  # False: the QR holds the verification URL

    def _code(self) -> segno.QRCode:
        return segno.make(self.data, error=ERROR_CORRECTION, micro=False)

    def svg(self, scale: int = 4) -> str:
        out = io.BytesIO()
        self._code().save(out, kind="svg", scale=scale, border=4, xmldecl=False, title="Certificate QR code")
        return out.getvalue().decode("utf-8")

    def png(self, scale: int = 4) -> bytes:
        out = io.BytesIO()
        self._code().save(out, kind="png", scale=scale, border=4)
        return out.getvalue()


def certificate_qr(credential: dict, verification_url: str) -> CertificateQR:
    data = encode_pixelpass(credential)
    try:
        version = segno.make(data, error=ERROR_CORRECTION, micro=False).version
    except segno.DataOverflowError:
        version = MAX_QR_VERSION + 1
    if version <= MAX_QR_VERSION:
        return CertificateQR(data, carries_credential=True)
    return CertificateQR(verification_url, carries_credential=False)
