"""QR codes for certificates, in the PixelPass encoding that Inji Verify reads.

PixelPass: JSON → CBOR → zlib (level 9) → Base45. Base45 uses exactly the QR alphanumeric
alphabet, so the code stays compact. The code always carries the whole credential — Inji Verify
decodes whatever a code holds as PixelPass, so a URL in its place could never be verified there —
and never denser than a phone camera reads from paper: the fields are bounded so that no
certificate needs more (certificates/validators.py), and issuing refuses one that would.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import base45
import cbor2
import segno
import segno.consts
import segno.encoder

from credentials.limits import (
    MAX_QR_TEXT_CHARS,
    UnreadableCredential,
    check_cbor,
    check_document,
    inflate,
    parse_json,
)

# Version 25 (117×117 modules) is about the densest code phone cameras read reliably from paper.
MAX_QR_VERSION = 25
# PixelPass's own default; a certificate's QR fits in about version 22 with it.
ERROR_CORRECTION = "l"
PRINTABLE_SCALE = 10  # pixels per module: about 11 cm wide at 300 dpi for a version 22 code
MIN_UPLOAD_BYTES = 10 * 1024


class QRDecodeError(UnreadableCredential):
    pass


def encode_pixelpass(credential: dict) -> str:
    return base45.b45encode(_compressed(credential)).decode("ascii")


def _compressed(credential: dict) -> bytes:
    return zlib.compress(cbor2.dumps(credential), 9)


def decode_pixelpass(text: str) -> dict:
    """Decode PixelPass QR text back into the credential it carries, within credentials/limits.py."""
    text = text.strip()
    if not text:
        raise QRDecodeError("empty: there is no QR text")
    if len(text) > MAX_QR_TEXT_CHARS:
        raise QRDecodeError(f"longer than the {MAX_QR_TEXT_CHARS} characters a QR code can hold")
    try:
        compressed = base45.b45decode(text)
    except (ValueError, TypeError):
        raise QRDecodeError("this is not the text of a certificate's QR code (not Base45)") from None
    try:
        raw = inflate(compressed)
    except UnreadableCredential as exc:
        raise QRDecodeError(str(exc)) from None
    if raw[:1] in (b"{", b" "):  # PixelPass also carries plain JSON
        try:
            return parse_json(raw)
        except UnreadableCredential as exc:
            raise QRDecodeError(str(exc)) from None
    try:
        check_cbor(raw)
        document = cbor2.loads(raw)
    except UnreadableCredential as exc:
        raise QRDecodeError(str(exc)) from None
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError):
        raise QRDecodeError("the QR data holds neither CBOR nor JSON") from None
    try:
        check_document(document)
    except UnreadableCredential as exc:
        raise QRDecodeError(str(exc)) from None
    return document


class QRTooDense(ValueError):
    """The credential would need a QR code denser than MAX_QR_VERSION."""


@dataclass(frozen=True)
class CertificateQR:
    data: str

    def _code(self) -> segno.QRCode:
        return segno.make(self.data, error=ERROR_CORRECTION, micro=False)

    def svg(self, scale: int = 4) -> str:
        out = io.BytesIO()
        # A viewBox and no fixed size: the page's CSS scales the whole code, never crops it.
        self._code().save(
            out, kind="svg", scale=scale, border=4, xmldecl=False, omitsize=True, title="Certificate QR code"
        )
        return out.getvalue().decode("utf-8")

    def png(self, scale: int = 4) -> bytes:
        out = io.BytesIO()
        self._code().save(out, kind="png", scale=scale, border=4)
        return out.getvalue()

    def printable_png(self) -> bytes:
        """A PNG to download, print or upload: at least PRINTABLE_SCALE pixels a module, and at
        least MIN_UPLOAD_BYTES (Inji Verify's upload refuses smaller files: constants.ts)."""
        scale = PRINTABLE_SCALE
        image = self.png(scale)
        while len(image) < MIN_UPLOAD_BYTES and scale < 60:
            scale += 4
            image = self.png(scale)
        return image


def qr_version(credential: dict) -> int:
    """The smallest QR version that holds the credential (41: none does), as segno.make finds it,
    without drawing the code and trying its eight masks (100 ms of CPU per issuance) or even
    writing the Base45 text: 2 bytes become 3 characters, a last odd byte 2."""
    size = len(_compressed(credential))
    return _alphanumeric_version(size // 2 * 3 + size % 2 * 2)


_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # Base45's alphabet too


def _alphanumeric_version(length: int) -> int:
    """The version of a code holding `length` characters in one alphanumeric segment."""
    error = segno.encoder.normalize_errorlevel(ERROR_CORRECTION)
    for version in range(1, 41):
        count_bits = 9 if version < 10 else 11 if version < 27 else 13
        bits = 4 + count_bits + 11 * (length // 2) + 6 * (length % 2)
        if bits <= segno.consts.SYMBOL_CAPACITY[version][error] and length < 2**count_bits:
            return version
    return 41


def _version_for(content: str) -> int:
    if _ALPHANUMERIC.issuperset(content):  # PixelPass (Base45): one alphanumeric segment
        return _alphanumeric_version(len(content))
    segments = segno.encoder.prepare_data(content, None, None)
    try:
        return segno.encoder.find_version(
            segments, segno.encoder.normalize_errorlevel(ERROR_CORRECTION), eci=False, micro=False
        )
    except (segno.DataOverflowError, ValueError):
        return 41


def certificate_qr(credential: dict) -> CertificateQR:
    content = encode_pixelpass(credential)
    _refuse_dense(_version_for(content))
    return CertificateQR(content)


def check_scannable(credential: dict) -> None:
    """What issuing checks: raise QRTooDense unless a phone can read the credential's code from
    paper — without drawing the code or writing its text."""
    _refuse_dense(qr_version(credential))


def _refuse_dense(version: int) -> None:
    if version > MAX_QR_VERSION:
        raise QRTooDense(
            f"the certificate needs a QR code of version {version}; phone cameras read at most version "
            f"{MAX_QR_VERSION} from paper"
        )


def qr_if_it_fits(credential: dict) -> CertificateQR | None:
    """For showing a stored certificate (one issued before the limits may be denser): None when
    no readable code can hold it."""
    try:
        return certificate_qr(credential)
    except QRTooDense:
        return None
