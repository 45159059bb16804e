"""The certificate on one printable A4 page: what it certifies, who issued it, and its QR code
at a size phone cameras read from paper (about 9 cm).

Every text is printed in full, in the script it was typed in (certificates/pdf_text.py): wrapped to
its column, long unbroken words too, never cut off and never a black box in place of a letter.
"""

from __future__ import annotations

import io
import threading
from datetime import datetime

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from certificates import pdf_text
from certificates.models import Certificate, CertificateStatus
from certificates.words import certified_goods, describe_goods
from credentials.qr import certificate_qr

WIDTH, HEIGHT = A4
MARGIN = 2 * cm
VALUE_X = 6 * cm  # where the values' column starts; labels sit in the margin before it
QR_SIZE = 9 * cm
QR_BOTTOM = 3.5 * cm
GREY = Color(0.3, 0.3, 0.3)
RED = Color(0.6, 0.1, 0.1)
# Fonts are shared by every drawing in the process, and reportlab adds to them as it shapes text.
_DRAWING = threading.Lock()


def certificate_pdf(certificate: Certificate, *, issuer_label: str, verify_url: str) -> bytes:
    out = io.BytesIO()
    with _DRAWING:
        page = canvas.Canvas(out, pagesize=A4, pageCompression=1)
        page.setTitle(f"Quality certificate for batch {certificate.batch.batch_number}")
        page.setAuthor(issuer_label)
        y = _heading(page, certificate)
        _rows(page, _contents(certificate, issuer_label), y)
        _qr_code(page, certificate.credential, verify_url)
        page.showPage()
        page.save()
    return out.getvalue()


def _contents(certificate: Certificate, issuer_label: str) -> list[tuple[str, str]]:
    rows = describe_goods(certified_goods(certificate.credential)) or []
    return rows + [
        ("Issued", _day(certificate.issued_at)),
        ("Valid until", _day(certificate.valid_until) if certificate.valid_until else "no end date"),
        ("Issued by", issuer_label),
        ("Credential id", certificate.credential_id),
    ]


def _heading(page: canvas.Canvas, certificate: Certificate) -> float:
    """The title, the batch and, for a certificate no longer valid, why; where the rows start."""
    y = HEIGHT - 2.5 * cm
    pdf_text.draw(page, MARGIN, y, "Agricultural quality certificate", 20, bold=True)
    y -= 0.8 * cm
    pdf_text.draw(page, MARGIN, y, f"Batch {certificate.batch.batch_number}", 12)
    notice = {
        CertificateStatus.REVOKED: f"REVOKED: {certificate.revocation_reason or ''}",
        CertificateStatus.PENDING: "NOT YET IN FORCE: this certificate is still being issued",
    }.get(certificate.status)
    if notice:
        for line in pdf_text.wrap(notice, 12, WIDTH - 2 * MARGIN):
            y -= 0.6 * cm
            pdf_text.draw(page, MARGIN, y, line, 12, colour=RED)
    return y - 1.2 * cm


def _rows(page: canvas.Canvas, rows: list[tuple[str, str]], y: float) -> None:
    """Label and value, the value wrapped to its column (a certificate that silently drops part of
    a name misleads)."""
    for label, text in rows:
        pdf_text.draw(page, MARGIN, y, label, 10, colour=GREY)
        for line in pdf_text.wrap(str(text), 10, WIDTH - MARGIN - VALUE_X):
            pdf_text.draw(page, VALUE_X, y, line, 10, colour=black)
            y -= 0.45 * cm
        y -= 0.15 * cm


def _qr_code(page: canvas.Canvas, credential: dict, verify_url: str) -> None:
    image = ImageReader(io.BytesIO(certificate_qr(credential).png(scale=8)))
    page.drawImage(image, (WIDTH - QR_SIZE) / 2, QR_BOTTOM, QR_SIZE, QR_SIZE)
    y = QR_BOTTOM - 0.7 * cm
    for sentence in (
        "Scan with Inji Verify: the code holds the whole signed certificate.",
        f"Or verify the certificate's file at {verify_url}",
    ):
        for line in pdf_text.wrap(sentence, 9, WIDTH - 2 * MARGIN):
            pdf_text.draw(page, (WIDTH - pdf_text.width(line, 9)) / 2, y, line, 9)
            y -= 0.5 * cm


def _day(moment: datetime) -> str:
    return f"{moment:%-d %B %Y}"
