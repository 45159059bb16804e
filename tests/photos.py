"""Pictures as people hold them, made from a picture of a QR code: what a phone's camera makes of
a printed certificate (smaller, turned, seen at an angle, on a busy desk, compressed hard), and
pictures with no code at all. Pillow only, so the engine's tests can use them too."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import Image, ImageDraw

PAPER = (236, 232, 222)
# Output (x, y) is read from input ((a·x + b·y + c) / (g·x + h·y + 1), (d·x + e·y + f) / (…)): the
# far edge of the sheet comes out narrower than the near one, as when a phone is held at an angle.
SEEN_AT_AN_ANGLE = (1.0, 0.06, -30.0, 0.02, 1.0, -20.0, 0.00012, 0.00006)


def photo_of(picture: bytes, *, width: int = 800, seed: int = 7) -> bytes:
    """A JPEG (quality 40) of the picture scaled to `width` pixels, turned 7°, seen at an angle, on a
    noisy, cluttered background."""
    code = Image.open(io.BytesIO(picture)).convert("RGB")
    code = code.resize((width, round(code.height * width / code.width)), Image.Resampling.LANCZOS)
    code = code.rotate(7, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    scene = busy_background((code.width + 500, code.height + 400), seed=seed)
    scene.paste(code, (250, 200))
    scene = scene.transform(
        scene.size, Image.Transform.PERSPECTIVE, SEEN_AT_AN_ANGLE, Image.Resampling.BICUBIC, fillcolor=(90, 80, 70)
    )
    return jpeg(scene, quality=40)


def busy_background(size: tuple[int, int], *, seed: int = 7) -> Image.Image:
    """Grain plus a few hundred coloured blocks and lines: a desk, not a white wall."""
    rng = random.Random(seed)
    scene = Image.merge("RGB", [Image.effect_noise(size, 60) for _ in range(3)])
    draw = ImageDraw.Draw(scene)
    for _ in range(300):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle([x, y, x + rng.randrange(5, 80), y + rng.randrange(5, 80)], fill=colour)
        else:
            draw.line([x, y, x + rng.randrange(-200, 200), y + rng.randrange(-200, 200)], fill=colour, width=3)
    return scene


def jpeg(image: Image.Image, *, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def pdf_of(pages: list[Image.Image], *, resolution: float = 150) -> bytes:
    """A PDF with one picture per page, as a scanner or a "print to PDF" makes."""
    out = io.BytesIO()
    first, *rest = [page.convert("RGB") for page in pages]
    first.save(out, "PDF", resolution=resolution, save_all=True, append_images=rest)
    return out.getvalue()


def declared_size_png(width: int, height: int) -> bytes:
    """A valid black PNG of width × height one-bit pixels in a few hundred KB at most, written row by
    row so that making it allocates nothing large: a decompression bomb for a reader that
    allocates before it looks."""
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    squeezer = zlib.compressobj(9)
    pixels = b"".join(squeezer.compress(row) for _ in range(height)) + squeezer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
