"""The printed certificate shows every text as it was typed, in any script, wrapped within the page.

It printed Chinese, Devanagari and emoji as black boxes, ran a long name without spaces 140 pt off
the page, and rounded readings (99.999999999 % printed as "100 %"). Each test renders the PDF the
importer downloads, reads it back with poppler (pdftotext, pdftoppm) and scans its QR code (zbarimg).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm

from certificates import pdf, pdf_fonts, pdf_text
from certificates.validators import TEXT_LIMITS
from credentials.qr import decode_pixelpass
from tests.factories import issue_certificate, make_batch, make_inspection
from tests.printed import download

pytestmark = pytest.mark.django_db

WIDTH, HEIGHT = A4
BATCH_TEXTS = {
    "exporter_name": "श्री ग्रीन वैली",  # Devanagari with conjuncts
    "product": "有機バスマティ米",  # Chinese and Japanese
    "variety": "Ŝĕłęçtⱥ Пенджаб",  # Latin with accents, Cyrillic
}
INSPECTION_TEXTS = {"agency": "한국 검사 🌾👩‍🌾", "grade": "A+ 🌟"}  # Korean, emoji (one joined)


def text_of(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, timeout=60, check=True).stdout


def words_with_boxes(path: Path) -> list[tuple[str, float, float, float, float]]:
    """Each word pdftotext finds, with its box in points from the page's top left."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, timeout=60).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [(word, float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, word in re.findall(pattern, html)]


def scanned(path: Path, tmp_path: Path) -> str:
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True, timeout=60)
    (page,) = sorted(tmp_path.glob("page*.png"))
    return subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True, timeout=60).stdout


def test_every_script_is_printed_as_typed_in_a_font_that_has_it(client, tmp_path):
    certificate = issue_certificate(make_inspection(make_batch(**BATCH_TEXTS), **INSPECTION_TEXTS))

    printed = text_of(download(client, certificate, tmp_path))

    for text in [*BATCH_TEXTS.values(), *INSPECTION_TEXTS.values()]:
        assert text in printed
        assert all(pdf_fonts.has(pdf_fonts.font_for(char), char) for char in text), text
    assert "Batch RICE-2026-001" in printed


def test_devanagari_is_shaped_into_conjuncts_and_still_reads_back_as_typed():
    """HarfBuzz forms the conjunct (क्ष is one glyph, not क + virama + ष) and puts the i-sign before
    its consonant; what a reader copies is still the text as typed."""
    (run,) = pdf_text.shaped("क्षि", 10)

    assert run.font == "NotoSansDevanagari" and run.text == "क्षि"
    assert len(run.glyphs) < len(run.text), "the conjunct and the vowel sign were not shaped"


def test_readings_and_quantity_are_printed_exactly_as_recorded(client, tmp_path):
    batch = make_batch(quantity=12_500.125)
    inspection = make_inspection(
        batch, moisture_percent=99.999999999, pesticide_residue_mg_per_kg=0.0000001, foreign_matter_percent=0.3
    )

    printed = " ".join(text_of(download(client, issue_certificate(inspection), tmp_path)).split())

    assert "99.999999999 %" in printed and "100 %" not in printed
    assert "0.0000001 mg/kg" in printed and "1e-07" not in printed
    assert "0.3 %" in printed and "12,500.125 kg" in printed


def widest(field: str, char: str) -> str:
    return char * (TEXT_LIMITS[field] // len(char.encode()))


@pytest.mark.parametrize("char", ["W", "米", "🌾", "क्ष"])
def test_the_fullest_certificate_wraps_every_long_word_inside_the_page_and_clear_of_the_qr_code(client, tmp_path, char):
    """Every field at its limit in the widest letters, without a space to break at: each word
    stays on the page and off the QR code, the whole of each name is printed, and the code scans."""
    texts = {field: widest(field, char) for field in ("product", "variety", "exporter_name")}
    batch = make_batch(**texts)
    inspection = make_inspection(batch, agency=widest("agency", char), grade=widest("grade", char))
    certificate = issue_certificate(inspection)
    path = download(client, certificate, tmp_path)

    qr_left, qr_right = (WIDTH - pdf.QR_SIZE) / 2, (WIDTH + pdf.QR_SIZE) / 2
    qr_top, qr_bottom = HEIGHT - pdf.QR_BOTTOM - pdf.QR_SIZE, HEIGHT - pdf.QR_BOTTOM
    for word, x0, y0, x1, y1 in words_with_boxes(path):
        assert 1.5 * cm <= x0 and x1 <= WIDTH - 1.5 * cm and 0 <= y0 and y1 <= HEIGHT, f"{word} leaves the page"
        assert y1 <= qr_top or y0 >= qr_bottom or x1 <= qr_left or x0 >= qr_right, f"{word} covers the QR code"
    printed = "".join(text_of(path).split())
    for text in [*texts.values(), inspection.agency]:
        assert text in printed
    assert decode_pixelpass(scanned(path, tmp_path).strip()) == certificate.credential


def test_a_certificate_still_being_issued_is_not_printed_as_revoked(batch, tmp_path):
    from certificates.models import Certificate, CertificateStatus

    certificate = issue_certificate(make_inspection(batch))
    Certificate.objects(pk=certificate.pk).update_one(set__status=CertificateStatus.PENDING)
    certificate.reload()
    path = tmp_path / "pending.pdf"
    path.write_bytes(pdf.certificate_pdf(certificate, issuer_label="us", verify_url="https://x.example/verify/"))

    text = text_of(path)

    assert "NOT YET IN FORCE" in text and "REVOKED" not in text
