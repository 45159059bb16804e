"""What a file someone holds says: the text of the QR code in a photo, a screenshot or the
certificate's PDF, or the file's own text (a credential's JSON, or QR text).

Pictures and PDFs come from strangers, so every bound is checked before the work it bounds:

- bytes: at most MAX_FILE_BYTES (a 12-megapixel phone photo is 2-5 MB; our PDF a few KB);
- kind: only JPEG, PNG, WebP and HEIC/HEIF pictures (by their first bytes) and PDFs are decoded;
- pixels: a picture's size is read from its header before any pixel is (Pillow opens lazily), and
  one over MAX_IMAGE_PIXELS is refused, so a small file that declares 30000×30000 allocates nothing;
- scanning: zxing-cpp looks at no more than SCAN_SIDE pixels on the long side (a JPEG is decoded
  straight to about that size). Its cost grows with the square of the finder-like patterns it
  meets: a picture drawn to be slow took 1.6 s at this size and 20 s at 4000×3000; photos of a
  certificate take a few tens of milliseconds;
- PDF: the first MAX_PDF_PAGES pages only, each drawn at most SCAN_SIDE pixels on its long side.
  PDFium parses a page's whole content before drawing any of it (a 200 KB PDF inflated to 1.9 GB
  and 6 s), and decoders of hostile pictures are best run where a crash harms no one else: so
  `text_in_file` reads pictures and PDFs in a child process limited to READER_MEMORY_BYTES of data
  and READER_SECONDS of CPU time and of wall time, at most READERS_AT_ONCE at a time per process.
"""

from __future__ import annotations

import io
import json
import logging
import re
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pi_heif
import pypdfium2
import zxingcpp
from PIL import Image, UnidentifiedImageError

from credentials.limits import MAX_CREDENTIAL_BYTES

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 25_000_000  # a 24-megapixel photo, the most phones save unless asked for more
SCAN_SIDE = 2048
MAX_PDF_PAGES = 3
MAX_PDF_DPI = 300  # a page smaller than A4 is drawn no finer than this
READER_MEMORY_BYTES = 512 * 1024 * 1024
READER_SECONDS = 10
READERS_AT_ONCE = 2

ACCEPTED = (
    "a photo or screenshot of the certificate's QR code (JPEG, PNG, HEIC or WebP), the certificate's PDF, "
    "or the credential's JSON file"
)
PHOTO_ADVICE = (
    "Take the photo again: closer, so the code fills most of the picture; with the paper flat, facing the camera; "
    "in good light and in focus."
)
FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")  # Pillow's JPEG opener also reads phones' multi-picture JPEGs (MPO)
TOO_COSTLY = (
    f"That file takes more than {READER_SECONDS} s or {READER_MEMORY_BYTES // 1024 // 1024} MB to read, far more than "
    "any photo or certificate PDF. Upload a photo or screenshot of the QR code instead."
)
PIXELPASS = re.compile(r"[0-9A-Z $%*+\-./:]+")  # Base45's alphabet: what a certificate's code holds
ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger(__name__)
pi_heif.register_heif_opener()
_PDFIUM = threading.Lock()  # PDFium may not be called from two threads at once, even on two documents
_READERS = threading.BoundedSemaphore(READERS_AT_ONCE)


class UnreadableFile(ValueError):
    """The file holds nothing this service can read; the message is a sentence for the person who sent it."""


class NoCodeFound(UnreadableFile):
    """A picture or PDF was read, and no QR code could be read in it."""


def text_in_file(data: bytes) -> str:
    """The text a file holds: its QR code's for a picture or PDF (read in a bounded child process),
    its own for a text file. UnreadableFile (or NoCodeFound) says what was wrong and what to try."""
    if not data:
        raise UnreadableFile("That file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(
            f"That file is {len(data) / 1024 / 1024:.1f} MB; this service reads files up to "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Send a smaller photo (12 megapixels is plenty) or the "
            "certificate's PDF."
        )
    if kind_of(data):
        return _read_apart(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:  # neither JSON nor QR text ever holds one
        raise UnreadableFile(f"That file is neither a picture, a PDF nor a credential. Upload {ACCEPTED}.")
    if len(data) > MAX_CREDENTIAL_BYTES:
        raise UnreadableFile(f"That file is too large to be a credential (over {MAX_CREDENTIAL_BYTES // 1024} KB).")
    return text


def kind_of(data: bytes) -> str | None:
    """'pdf' or 'picture' for the kinds read here, by their first bytes (nothing is decoded); None otherwise."""
    if b"%PDF-" in data[:1024]:  # PDF readers allow a little junk before the header, and so do we
        return "pdf"
    pictures = (
        data.startswith(b"\xff\xd8\xff"),  # JPEG
        data.startswith(b"\x89PNG\r\n\x1a\n"),
        data[:4] == b"RIFF" and data[8:12] == b"WEBP",
        data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"),
    )
    return "picture" if any(pictures) else None


def code_in_file(data: bytes) -> str:
    """The text of the QR code in a picture or PDF, in this process: for input from strangers use
    `text_in_file`, which runs this within memory and time limits."""
    if kind_of(data) == "pdf":
        return code_in_pdf(data)
    return code_in_picture(data)


def code_in_picture(data: bytes) -> str:
    image = _open_picture(data)
    image.draft("L", _fit(image.size, SCAN_SIDE))  # a JPEG decodes at 1/2…1/8 scale, straight to grey
    try:
        image.load()
        image = _grey_on_white(image)
    except (OSError, ValueError, SyntaxError, EOFError):
        raise UnreadableFile("That picture could not be read: the file is damaged or cut short.") from None
    image.thumbnail((SCAN_SIDE, SCAN_SIDE), Image.Resampling.BOX)
    return _code_in(image, f"We could not find a QR code in that picture. {PHOTO_ADVICE}")


def _open_picture(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError:  # Pillow's own ceiling, far above ours: declared, not allocated
        raise _too_many_pixels(f"over {2 * Image.MAX_IMAGE_PIXELS // 1_000_000} megapixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise UnreadableFile(f"That picture could not be read. Upload {ACCEPTED}.") from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels(f"{width}×{height} pixels ({width * height / 1e6:.0f} megapixels)")
    return image


def _too_many_pixels(size: str) -> UnreadableFile:
    return UnreadableFile(
        f"That picture is {size}; this service reads pictures up to {MAX_IMAGE_PIXELS // 1_000_000} "
        "megapixels. Take the photo at a lower resolution, or crop it to the QR code."
    )


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _grey_on_white(image: Image.Image) -> Image.Image:
    """Transparent pixels read as white (a code drawn on a transparent background stays dark on light)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image)
    return image.convert("L")


def _code_in(image: Image.Image, not_found: str) -> str:
    """The text of the certificate's code if one is readable (a PixelPass one first, then the longest)."""
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, return_errors=True)
    texts = [code.text for code in found if code.valid and code.text]
    if texts:
        return max(texts, key=lambda text: (PIXELPASS.fullmatch(text) is not None, len(text)))
    if found:
        raise NoCodeFound(f"There is a QR code in that picture, but it could not be read. {PHOTO_ADVICE}")
    raise NoCodeFound(not_found)


def code_in_pdf(data: bytes) -> str:
    for page in pdf_pages(data):
        try:
            return _code_in(page, "")
        except NoCodeFound:
            continue
    raise NoCodeFound(
        f"We could not find a QR code on the first {MAX_PDF_PAGES} pages of that PDF. Upload the certificate's "
        "own PDF, or a photo or screenshot of its QR code."
    )


def pdf_pages(data: bytes) -> list[Image.Image]:
    """The first MAX_PDF_PAGES pages as grey pictures, each at most SCAN_SIDE pixels on its long side."""
    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            raise UnreadableFile("That PDF could not be opened: it is damaged or protected by a password.") from None
        try:
            return [_draw_page(document, index) for index in range(min(len(document), MAX_PDF_PAGES))]
        finally:
            document.close()  # here, under the lock: not whenever the garbage collector gets to it


def _draw_page(document: pypdfium2.PdfDocument, index: int) -> Image.Image:
    page = document[index]
    try:
        width, height = page.get_size()
        scale = min(MAX_PDF_DPI / 72, SCAN_SIDE / max(width, height, 1))
        bitmap = page.render(scale=scale, grayscale=True, force_bitmap_format=pypdfium2.raw.FPDFBitmap_Gray)
        try:
            return bitmap.to_pil().copy()
        finally:
            bitmap.close()
    except pypdfium2.PdfiumError:
        raise UnreadableFile(f"Page {index + 1} of that PDF could not be drawn: the file is damaged.") from None
    finally:
        page.close()


def _read_apart(data: bytes) -> str:
    """code_in_file in a child process (python -m credentials.images) limited in memory and time."""
    if not _READERS.acquire(timeout=READER_SECONDS):
        raise UnreadableFile("This service is busy reading other files: try again in a minute.")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "credentials.images"],
            input=data,
            capture_output=True,
            timeout=READER_SECONDS,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UnreadableFile(TOO_COSTLY) from None
    finally:
        _READERS.release()
    if done.returncode == 0:
        answer = json.loads(done.stdout)
        if "text" in answer:
            return answer["text"]
        raise (NoCodeFound if answer["no_code"] else UnreadableFile)(answer["problem"])
    if done.returncode < 0 or b"MemoryError" in done.stderr:  # killed at its CPU limit, PDFium's abort, …
        raise UnreadableFile(TOO_COSTLY)
    log.error("outcome=reader_failed returncode=%d stderr=%r", done.returncode, done.stderr[-600:])
    raise UnreadableFile("That file could not be read. Upload a photo or screenshot of the QR code instead.")


def _limit_this_process() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (READER_MEMORY_BYTES, READER_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (READER_SECONDS, READER_SECONDS))


def main() -> None:
    """The child's side: the file on standard input, one JSON answer on standard output. Past a
    limit the child dies without answering, which its parent reads as "too costly"."""
    _limit_this_process()
    try:
        answer = {"text": code_in_file(sys.stdin.buffer.read(MAX_FILE_BYTES))}
    except UnreadableFile as exc:
        answer = {"problem": str(exc), "no_code": isinstance(exc, NoCodeFound)}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
