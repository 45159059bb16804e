"""Text in any script on a reportlab canvas, as a reader of that script expects to see it.

Each character is printed in a Noto font that has it (certificates/pdf_fonts.py). A paragraph is
wrapped to a width first — long unbroken words too — and each line is then laid out by the Unicode
Bidirectional Algorithm (UAX #9, ICU's): levels resolved over the whole paragraph, reordered per
line, so Arabic and Hebrew words read right to left while numbers and Latin words among them still
read left to right. Each run is shaped by HarfBuzz in its own direction (Devanagari conjuncts and
vowel signs, Arabic joining, emoji sequences) and marked with the text as typed (ActualText), so
that copying or extracting it from the PDF gives back exactly what was signed.

Known limits: colour emoji print in black and white; a paragraph that starts with a right-to-left
letter is laid out right to left (its first word at the right) but starts at the left edge of its
column, like every other value on the certificate; the PDF readers tried (pdfium, poppler) reverse
the right-to-left text they extract, ActualText or not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import icu
import reportlab
import uharfbuzz
from reportlab.lib.colors import Color, black
from reportlab.pdfbase.ttfonts import ShapeData, ShapedStr, TTFont
from reportlab.pdfgen.canvas import Canvas

from certificates.pdf_fonts import font, font_for, has

# Shaped glyphs are handed to reportlab as its own shaper (ttfonts.shapeFragWord) hands them: a
# ShapedStr of characters with ShapeData, and TTFont.hbAddPrivate for a glyph no character maps to.
# Its shaper cannot be used itself: it guesses each run's direction from the script, and Arabic-Indic
# digits, which UAX #9 sets left to right, came out reversed.
if not reportlab.Version.startswith("4.4."):
    raise ImportError(
        f"certificates/pdf_text.py hands glyphs to reportlab 4.4 as its shapeFragWord does, but reportlab is "
        f"{reportlab.Version}: compare _glyphs() with the new shapeFragWord, run tests/test_certificate_pdf_*.py, "
        "then allow the version here."
    )

# Fonts whose spaces and punctuation look out of place in running text (an emoji-wide space).
_OWN_RUNS_ONLY = {"NotoSansSymbols", "NotoEmoji"}
# Characters that belong to the one before them (marks, joiners, variation selectors, skin tones).
_JOINING = {"\u200c", "\u200d", "\ufe0e", "\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))}


@dataclass(frozen=True)
class Line:
    """The characters `start` to `end` of `paragraph`, as typed. The paragraph comes along because
    the direction of a line's words depends on all of it: a line that starts with a Latin word in
    an Arabic paragraph still reads right to left."""

    paragraph: str
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.paragraph[self.start : self.end]


@dataclass(frozen=True)
class Run:
    text: str  # as typed
    font: str  # as registered with reportlab
    glyphs: ShapedStr  # as shaped: what the PDF draws, from left to right
    width: float
    right_to_left: bool


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


def directions(line: Line) -> list[tuple[str, bool]]:
    """The line cut where its direction changes, the pieces in the order they are seen from left to
    right, each with whether it reads right to left."""
    if line.start == line.end:
        return []
    units = [0]  # where each character starts in UTF-16, which ICU counts in
    for char in line.paragraph:
        units.append(units[-1] + (2 if ord(char) > 0xFFFF else 1))
    text = icu.UnicodeString(line.paragraph)
    paragraph = icu.Bidi()
    paragraph.setPara(text, icu.Bidi.DEFAULT_LTR)  # the direction of its first letter, as UAX #9 says
    row = paragraph.setLine(units[line.start], units[line.end])
    index = {units[i] - units[line.start]: i for i in range(line.start, line.end + 1)}
    pieces = []
    for n in range(row.countRuns()):
        start, length, direction = row.getVisualRun(n)
        pieces.append((line.paragraph[index[start] : index[start + length]], direction == icu.UBiDiDirection.RTL))
    return pieces


def shaped(text: str | Line, size: float, *, bold: bool = False) -> list[Run]:
    """The runs of one line (a string is a paragraph of one line), shaped, from left to right."""
    line = text if isinstance(text, Line) else Line(text, 0, len(text))
    result = []
    for piece, right_to_left in directions(line):
        pieces = [_shaped_run(run, name, size, bold, right_to_left) for name, run in runs(piece)]
        result.extend(reversed(pieces) if right_to_left else pieces)
    return result


def _shaped_run(text: str, name: str, size: float, bold: bool, right_to_left: bool) -> Run:
    typeface = font(name, bold)
    hb_font = typeface.hbFont(size)
    buffer = uharfbuzz.Buffer()
    buffer.cluster_level = uharfbuzz.BufferClusterLevel.MONOTONE_CHARACTERS
    buffer.add_str(text)
    buffer.direction = "rtl" if right_to_left else "ltr"
    buffer.guess_segment_properties()  # the script and language; the direction stays as set
    uharfbuzz.shape(hb_font, buffer)
    glyphs = _glyphs(typeface, hb_font, buffer)
    width = sum(data.x_advance for data in glyphs.__shapeData__) * size / 1000
    return Run(text, typeface.fontName, glyphs, width, right_to_left)


def _glyphs(typeface: TTFont, hb_font: uharfbuzz.Font, buffer: uharfbuzz.Buffer) -> ShapedStr:
    """HarfBuzz's glyphs as reportlab draws them: each as a character the font maps to it (one of
    the private use area, added, for a glyph no character maps to: a conjunct, a joined Arabic
    letter), placed in thousandths of the font size."""
    chars, placements = [], []
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        glyph = info.codepoint
        mapped = typeface.face.glyphToChar.get(glyph)
        char = mapped[0] if mapped else typeface.hbAddPrivate(hb_font.glyph_to_string(glyph), glyph, position.x_advance)
        chars.append(chr(char))
        placements.append(
            ShapeData(
                info.cluster,
                typeface.pdfScale(position.x_advance),
                typeface.pdfScale(position.y_advance),
                typeface.pdfScale(position.x_offset),
                typeface.pdfScale(position.y_offset),
                typeface.face.charWidths[char],
            )
        )
    return ShapedStr("".join(chars), shapeData=placements)


def width(text: str | Line, size: float, *, bold: bool = False) -> float:
    return sum(run.width for run in shaped(text, size, bold=bold))


def draw(
    page: Canvas,
    x: float,
    y: float,
    text: str | Line,
    size: float,
    *,
    bold: bool = False,
    colour: Color = black,
) -> float:
    """Draw one line from (x, y) and answer where it ends."""
    page.setFillColor(colour)
    for run in shaped(text, size, bold=bold):
        # What a PDF reader copies or extracts: the run as typed, not the shaped glyphs.
        page.addLiteral(f"/Span <</ActualText <FEFF{run.text.encode('utf-16-be').hex().upper()}>>> BDC")
        page.setFont(run.font, size)
        page.drawString(x, y, run.glyphs)
        page.addLiteral("EMC")
        x += run.width
    return x


def wrap(text: str, size: float, limit: float, *, bold: bool = False) -> list[Line]:
    """`text` as lines no wider than `limit`, in the order typed: broken at spaces, and a word
    wider than a line broken between two characters (never inside a cluster). Nothing is ever
    left out."""
    lines = []
    for paragraph in text.split("\n"):
        start = end = 0  # the line being filled is paragraph[start:end]
        for word in re.finditer(r"\S+\s*|\s+", paragraph):
            if width(_trimmed(paragraph, start, word.end()), size, bold=bold) <= limit:
                end = word.end()
                continue
            if paragraph[start:end].strip():
                lines.append(_trimmed(paragraph, start, end))
            start, end = word.start(), word.end()
            while width(line := _trimmed(paragraph, start, end), size, bold=bold) > limit:
                start = _fitting_end(line, size, limit, bold)
                lines.append(Line(paragraph, line.start, start))
        lines.append(_trimmed(paragraph, start, end))
    return lines


def _trimmed(paragraph: str, start: int, end: int) -> Line:
    """paragraph[start:end] without the spaces at its end."""
    return Line(paragraph, start, start + len(paragraph[start:end].rstrip()))


def _fitting_end(line: Line, size: float, limit: float, bold: bool) -> int:
    """Where the longest start of `line` that fits `limit` and ends between clusters ends (after one
    cluster at least)."""
    paragraph = line.paragraph
    cuts = [i for i in range(line.start + 1, line.end) if _breakable(paragraph, i)]
    best = cuts[0] if cuts else line.end
    for cut in cuts[1:]:
        if width(Line(paragraph, line.start, cut), size, bold=bold) > limit:
            break
        best = cut
    return best


def _breakable(text: str, i: int) -> bool:
    """Whether a line may end between text[i - 1] and text[i]: not before a mark or joiner, nor after a
    joiner or a virama (which joins two consonants into one conjunct)."""
    before, after = text[i - 1], text[i]
    return not (_follows(after) or before == "\u200d" or unicodedata.combining(before) == 9)
