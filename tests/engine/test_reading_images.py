"""Reading the QR code in what people hold — a PNG, a phone photo, a HEIC, a PDF — within bounds
checked before the work they bound, and saying what to try when there is nothing to read."""

from __future__ import annotations

import io
import random
import resource
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from credentials import images
from credentials.images import MAX_FILE_BYTES, SCAN_SIDE, NoCodeFound, UnreadableFile, code_in_picture, text_in_file
from credentials.qr import CertificateQR
from tests.photos import busy_background, declared_size_png, jpeg, pdf_of, photo_of, png

# A photo of a QR code holding this text, made with pillow-heif 1.8.1 (which can write HEIC; the
# app reads it with pi-heif, its decode-only twin): segno's code at 12 px a module, turned 5°, quality 50.
HEIC_PHOTO = Path(__file__).parent / "qr-photo.heic"
HEIC_TEXT = "AGRIQCERT HEIC TEST 0123456789"
MEGABYTE = 1024 * 1024


@pytest.fixture(scope="module")
def text() -> str:
    """About as long as a certificate's PixelPass text (version 23 at error correction L)."""
    rng = random.Random(21)
    return "".join(rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") for _ in range(1500))


@pytest.fixture(scope="module")
def printed(text) -> bytes:
    return CertificateQR(text).printable_png()


def code_picture(printed: bytes) -> Image.Image:
    return Image.open(io.BytesIO(printed)).convert("L")


def peak_memory_growth(work) -> int:
    """How far the process's peak resident memory rose while `work` ran (C allocations included)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    work()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before


def test_the_printable_png_reads_as_its_text(printed, text):
    assert text_in_file(printed) == text


def test_a_photo_of_the_code_reads_too(printed, text):
    photo = photo_of(printed)  # 800 px wide, turned 7°, at an angle, on a busy background, JPEG quality 40

    assert photo[:3] == b"\xff\xd8\xff"
    assert text_in_file(photo) == text


def test_a_heic_photo_reads():
    assert text_in_file(HEIC_PHOTO.read_bytes()) == HEIC_TEXT


def test_a_large_phone_photo_is_scanned_at_a_bounded_size(printed, text):
    scene = busy_background((4000, 3000))
    scene.paste(code_picture(printed).resize((1400, 1400)).convert("RGB"), (1300, 800))

    assert text_in_file(jpeg(scene, quality=80)) == text


def test_a_code_on_a_transparent_background_reads_as_dark_on_light(printed, text):
    """Dark modules on transparent black, as design tools export them: read as if on white paper."""
    code = code_picture(printed).resize((1130, 1130))
    drawn = Image.new("RGBA", code.size, (0, 0, 0, 0))
    drawn.putalpha(code.point(lambda value: 255 - value))

    assert text_in_file(png(drawn)) == text


def test_of_several_codes_the_certificates_is_read(printed, text):
    scene = Image.new("L", (2200, 1300), "white")
    link = Image.open(io.BytesIO(CertificateQR("https://example.test/about").png(scale=8)))
    scene.paste(link, (20, 20))
    scene.paste(code_picture(printed).resize((1130, 1130)), (1000, 20))

    assert text_in_file(png(scene)) == text


def test_the_certificates_pdf_reads_from_its_first_page(printed, text):
    page = Image.new("L", (1240, 1754), "white")  # A4 at 150 dpi, the code 9 cm wide
    page.paste(code_picture(printed).resize((531, 531)), (354, 1000))

    assert text_in_file(pdf_of([page])) == text


def test_a_pdf_is_read_on_its_first_pages_only(printed):
    blank = Image.new("L", (1240, 1754), "white")
    late = Image.new("L", (1240, 1754), "white")
    late.paste(code_picture(printed).resize((531, 531)), (354, 400))

    with pytest.raises(NoCodeFound, match="on the first 3 pages of that PDF"):
        text_in_file(pdf_of([blank] * 4 + [late]))


def test_a_huge_pdf_page_is_drawn_no_larger_than_the_scan(printed, text):
    page = Image.new("L", (8000, 8000), "white")
    page.paste(code_picture(printed).resize((4000, 4000)), (2000, 2000))
    poster = pdf_of([page], resolution=20)  # 400 inches square: 120,000 px a side at 300 dpi

    drawn = images.pdf_pages(poster)

    assert max(drawn[0].size) <= SCAN_SIDE
    assert text_in_file(poster) == text


def test_a_pdf_whose_content_inflates_beyond_the_memory_limit_is_refused_and_the_caller_lives_on():
    poster = pdf_whose_page_inflates_to(200 * MEGABYTE)
    assert len(poster) < MEGABYTE

    with pytest.raises(UnreadableFile, match=r"takes more than 10 s or 512 MB to read"):
        text_in_file(poster)


def test_a_photo_without_a_code_says_what_to_try():
    with pytest.raises(NoCodeFound) as refusal:
        text_in_file(jpeg(busy_background((1600, 1200)), quality=60))

    message = str(refusal.value)
    assert message.startswith("We could not find a QR code in that picture.")
    assert "closer" in message and "flat" in message and "light" in message


def test_a_damaged_code_is_told_apart_from_no_code(printed):
    scene = code_picture(printed)
    width, height = scene.size
    ImageDraw.Draw(scene).rectangle([width * 0.3, height * 0.3, width * 0.7, height * 0.7], fill=255)

    with pytest.raises(NoCodeFound, match="There is a QR code in that picture, but it could not be read"):
        text_in_file(png(scene))


@pytest.mark.parametrize("width, height, said", [(30000, 30000, "over 178 megapixels"), (6000, 6000, "36 megapixels")])
def test_a_decompression_bomb_is_refused_before_its_pixels_are_allocated(width, height, said):
    bomb = declared_size_png(width, height)
    assert len(bomb) < 200 * 1024

    with pytest.raises(UnreadableFile, match=said):
        text_in_file(bomb)
    # In this process too (no child to die): the refusal comes before any pixel is decoded.
    growth = peak_memory_growth(lambda: pytest.raises(UnreadableFile, code_in_picture, bomb))
    assert growth < 30 * MEGABYTE


def test_a_truncated_picture_is_called_damaged(printed):
    with pytest.raises(UnreadableFile, match="That picture could not be read: the file is damaged or cut short"):
        text_in_file(jpeg(code_picture(printed))[:3000])


def test_random_bytes_are_told_what_is_accepted():
    with pytest.raises(UnreadableFile) as refusal:
        text_in_file(random.Random(1).randbytes(4096))

    assert str(refusal.value) == (
        "That file is neither a picture, a PDF nor a credential. Upload a photo or screenshot of the certificate's "
        "QR code (JPEG, PNG, HEIC or WebP), the certificate's PDF, or the credential's JSON file."
    )


def test_a_picture_in_a_format_not_read_here_is_not_decoded():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")

    with pytest.raises(UnreadableFile, match="neither a picture, a PDF nor a credential"):
        text_in_file(out.getvalue())


def test_a_text_file_is_its_own_text():
    assert text_in_file(b'{"type": ["VerifiableCredential"]}') == '{"type": ["VerifiableCredential"]}'
    assert text_in_file("\ufeffNCF 6:C".encode()) == "NCF 6:C"  # a byte-order mark is not part of it


def test_empty_oversized_and_overlong_files_say_their_limit():
    with pytest.raises(UnreadableFile, match="That file is empty"):
        text_in_file(b"")
    with pytest.raises(UnreadableFile, match="this service reads files up to 10 MB"):
        text_in_file(b"\xff\xd8\xff" + bytes(MAX_FILE_BYTES))
    with pytest.raises(UnreadableFile, match=r"too large to be a credential \(over 64 KB\)"):
        text_in_file(b"{" + b" " * 70_000 + b"}")


def pdf_whose_page_inflates_to(size: int) -> bytes:
    """One page whose content stream is `size` bytes of tiny strokes, deflated to about 1/1000."""
    squeezer = zlib.compressobj(9)
    stroke = b"0 0 m 1 1 l S\n" * 10_000
    content = b"".join(squeezer.compress(stroke) for _ in range(size // len(stroke))) + squeezer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(pdf)
