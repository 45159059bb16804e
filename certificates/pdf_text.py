"""Text in any script on a reportlab canvas: each character in a Noto font that has it, in its
Regular or Bold weight (certificates/pdf_fonts.py), each run shaped by HarfBuzz (Devanagari
conjuncts and vowel signs, Arabic joining, emoji sequences), lines wrapped to a width — long
unbroken words too — and each run marked with the text as typed (ActualText), so that copying or
extracting it from the PDF gives back exactly what was signed.

Known limits: colour emoji print in black and white; a line mixing right-to-left and left-to-right
words keeps the order in which they were typed (each right-to-left run is itself shaped right).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from reportlab.lib.colors import Color, black
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapedStr, shapeStr
from reportlab.pdfgen.canvas import Canvas

from certificates.pdf_fonts import font, font_for, has

# Fonts whose spaces and punctuation look out of place in running text (an emoji-wide space).
_OWN_RUNS_ONLY = {"NotoSansSymbols", "NotoEmoji"}
# Characters that belong to the one before them (marks, joiners, variation selectors, skin tones).
_JOINING = {"\u200c", "\u200d", "\ufe0e", "\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))}


def _follows(char: str) -> bool:
    return char in _JOINING or unicodedata.category(char).startswith("M")


def _neutral(char: str) -> bool:
    """Spaces, punctuation, digits and symbols: printed in the font of the run they are in when it has them."""
    return unicodedata.category(char)[0] in "ZPSN"


def runs(text: str) -> list[tuple[str, str]]:
    """`text` cut into (font, text) runs, never inside a cluster, so that each run shapes as a whole."""
    result: list[tuple[str, str]] = []
    for char in text:
        if result:
            current, run = result[-1]
            if _follows(char) or (_neutral(char) and current not in _OWN_RUNS_ONLY and has(current, char)):
                result[-1] = (current, run + char)
                continue
        name = font_for(char)
        if result and result[-1][0] == name:
            result[-1] = (name, result[-1][1] + char)
        else:
            result.append((name, char))
    return result


@dataclass(frozen=True)
class Run:
    text: str  # as typed
    font: str
    glyphs: str  # as shaped: what the PDF draws
    width: float


def shaped(text: str, size: float, *, bold: bool = False) -> list[Run]:
    result = []
    for name, run in runs(text):
        name = font(name, bold).fontName
        glyphs = shapeStr(run, name, size)
        if isinstance(glyphs, ShapedStr):
            width = sum(data.x_advance for data in glyphs.__shapeData__) * size / 1000
        else:
            width = pdfmetrics.stringWidth(run, name, size)
        result.append(Run(run, name, glyphs, width))
    return result


def width(text: str, size: float, *, bold: bool = False) -> float:
    return sum(run.width for run in shaped(text, size, bold=bold))


def draw(
    page: Canvas, x: float, y: float, text: str, size: float, *, bold: bool = False, colour: Color = black
) -> float:
    """Draw one line of `text` from (x, y) and answer where it ends."""
    page.setFillColor(colour)
    for run in shaped(text, size, bold=bold):
        # What a PDF reader copies or extracts: the run as typed, not the shaped glyphs.
        page.addLiteral(f"/Span <</ActualText <FEFF{run.text.encode('utf-16-be').hex().upper()}>>> BDC")
        page.setFont(run.font, size)
        page.drawString(x, y, run.glyphs)
        page.addLiteral("EMC")
        x += run.width
    return x


def wrap(text: str, size: float, limit: float) -> list[str]:
    """`text` as lines no wider than `limit`: broken at spaces, and a word wider than a line broken
    between two characters (never inside a cluster). Nothing is ever left out."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in re.findall(r"\S+\s*|\s+", paragraph):
            if width((line + word).rstrip(), size) <= limit:
                line += word
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = word
            while width(line.rstrip(), size) > limit:
                head, line = _fitting_head(line, size, limit)
                lines.append(head)
        lines.append(line.rstrip())
    return lines


def _fitting_head(word: str, size: float, limit: float) -> tuple[str, str]:
    """The longest start of `word` that fits `limit` and ends between clusters (at least one cluster), and the rest."""
    cuts = [i for i in range(1, len(word)) if _breakable(word, i)] + [len(word)]
    best = cuts[0]
    for cut in cuts[1:]:
        if width(word[:cut], size) > limit:
            break
        best = cut
    return word[:best], word[best:]


def _breakable(word: str, i: int) -> bool:
    """Whether a line may end between word[i - 1] and word[i]: not before a mark or joiner, nor after a
    joiner or a virama (which joins two consonants into one conjunct)."""
    before, after = word[i - 1], word[i]
    return not (_follows(after) or before == "\u200d" or unicodedata.combining(before) == 9)
