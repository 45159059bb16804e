"""The printed certificate as a reader's PDF software finds it: the file an importer downloads, and
each piece of text on its page with where it is and the font it is set in (read with pdfium)."""

from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from fontTools.ttLib import TTFont


def download(client, certificate, tmp_path: Path) -> Path:
    response = client.get(f"/c/{certificate.public_token}/certificate.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.content)
    return path


@dataclass(frozen=True)
class Piece:
    """One piece of text the page draws (pdfium's text object): about a run of one font."""

    text: str  # as pdfium extracts it
    font: str  # the embedded font's name, without its subset prefix (NotoSansSC-Regular)
    weight: int  # the embedded font's weight class: 400 Regular, 700 Bold
    variable: bool  # whether the embedded font is still a variable font
    filled: bool  # drawn as filled outlines only, not also stroked (thickened)
    left: float  # in points from the page's bottom left
    bottom: float
    right: float
    top: float


def pieces(path: Path) -> list[Piece]:
    document = pdfium.PdfDocument(path)
    page = document[0]
    text_page = page.get_textpage()
    fonts: dict[str, tuple[int, bool]] = {}
    found = []
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        font = pdfium_c.FPDFTextObj_GetFont(item.raw)
        name = _font_name(font)
        if name not in fonts:
            program = TTFont(io.BytesIO(_font_data(font)))
            fonts[name] = (program["OS/2"].usWeightClass, "fvar" in program)
        filled = pdfium_c.FPDFTextObj_GetTextRenderMode(item.raw) == pdfium_c.FPDF_TEXTRENDERMODE_FILL
        found.append(Piece(_text(item, text_page), name, *fonts[name], filled, *item.get_bounds()))
    return found


def find(found: list[Piece], word: str) -> Piece:
    """The one piece that reads `word` (pdfium gives right-to-left text reversed, so that way too)."""
    (piece,) = [piece for piece in found if piece.text.strip() in (word, word[::-1])]
    return piece


def _font_name(font) -> str:
    size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    name = ctypes.create_string_buffer(size)
    pdfium_c.FPDFFont_GetBaseFontName(font, name, size)
    return name.value.decode().split("+")[-1]


def _font_data(font) -> bytes:
    size = ctypes.c_size_t()
    pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size))
    data = (ctypes.c_uint8 * size.value)()
    pdfium_c.FPDFFont_GetFontData(font, data, size.value, ctypes.byref(size))
    return bytes(data)


def _text(item, text_page) -> str:
    size = pdfium_c.FPDFTextObj_GetText(item.raw, text_page.raw, None, 0)
    text = ctypes.create_string_buffer(size)
    pdfium_c.FPDFTextObj_GetText(item.raw, text_page.raw, ctypes.cast(text, ctypes.POINTER(ctypes.c_ushort)), size)
    return text.raw.decode("utf-16-le").rstrip("\x00")
