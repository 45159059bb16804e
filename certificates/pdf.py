"""The certificate on one printable A4 page: what it certifies, who issued it, and its QR code
at a size phone cameras read from paper (about 9 cm)."""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen import canvas

from certificates.models import Certificate, CertificateStatus
from certificates.words import certified_goods, describe_goods
from credentials.qr import certificate_qr

QR_SIZE = 9 * cm


def certificate_pdf(certificate: Certificate, *, issuer_label: str, verify_url: str) -> bytes:
    credential = certificate.credential
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    page.setTitle(f"Quality certificate for batch {certificate.batch.batch_number}")
    page.setAuthor(issuer_label)
    width, height = A4
    top = height - 2.5 * cm
    page.setFont("Helvetica-Bold", 20)
    page.drawString(2 * cm, top, "Agricultural quality certificate")
    page.setFont("Helvetica", 12)
    page.drawString(2 * cm, top - 0.8 * cm, f"Batch {certificate.batch.batch_number}")
    if certificate.status != CertificateStatus.ACTIVE:
        page.setFillColorRGB(0.6, 0.1, 0.1)
        page.drawString(2 * cm, top - 1.5 * cm, f"REVOKED: {certificate.revocation_reason or ''}"[:95])
        page.setFillColorRGB(0, 0, 0)
    y = top - 2.6 * cm
    rows = describe_goods(certified_goods(credential)) or []
    rows += [
        ("Issued", _day(certificate.issued_at)),
        ("Valid until", _day(certificate.valid_until) if certificate.valid_until else "no end date"),
        ("Issued by", issuer_label),
        ("Credential id", certificate.credential_id),
    ]
    for label, text in rows:
        # Wrapped, never cut: a certificate that silently drops part of a name misleads.
        page.setFont("Helvetica", 10)
        page.drawString(2 * cm, y, label)
        page.setFont("Helvetica-Bold", 10)
        for line in simpleSplit(str(text), "Helvetica-Bold", 10, width - 8 * cm):
            page.drawString(6 * cm, y, line)
            y -= 0.45 * cm
        y -= 0.15 * cm
    qr = certificate_qr(credential)
    image = ImageReader(io.BytesIO(qr.png(scale=8)))
    page.drawImage(image, (width - QR_SIZE) / 2, 3.5 * cm, QR_SIZE, QR_SIZE)
    page.setFont("Helvetica", 9)
    page.drawCentredString(width / 2, 2.8 * cm, "Scan with Inji Verify: the code holds the whole signed certificate.")
    page.drawCentredString(width / 2, 2.3 * cm, f"Or verify the certificate's file at {verify_url}")
    page.showPage()
    page.save()
    return out.getvalue()


def _day(moment: datetime) -> str:
    return f"{moment:%-d %B %Y}"
