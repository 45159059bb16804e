"""The fonts the printed certificate is set in: Noto, from PyPI wheels under the SIL Open Font License
1.1, never downloaded at run time. manimgx-fonts holds Noto Sans for Latin, Greek and Cyrillic, Noto
Sans for Indic, South-East Asian, Arabic, Hebrew, Ethiopic, Georgian and Armenian, Noto Sans Symbols
and Noto Emoji in black and white; justmytype-intl-cjk holds Noto Sans SC (Chinese and Japanese) and
Noto Sans KR.

Every one is a variable font, and reportlab prints a font's default outlines only: Thin for the CJK
ones. So each is printed as its own named instance, Regular (400) for text and Bold (700) for
headings, cut out of the variable font by HarfBuzz's instancer the first time a character needs
it (about 0.2 s for the 17 MB Chinese one; most certificates are in Latin only).
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from importlib.resources import files

import uharfbuzz
from fontTools.ttLib import TTFont as FontFile
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_NOTO = "manimgx_fonts"
_CJK = "justmytype_intl_cjk"
_SCRIPTS = (
    "Devanagari Bengali Gurmukhi Gujarati Oriya Tamil Telugu Kannada Malayalam Sinhala Thai Lao Khmer Myanmar "
    "Georgian Armenian Ethiopic Arabic Hebrew"
).split()
# In the order they are tried: the first font that has a character prints it.
FONTS = (
    ("NotoSans", _NOTO, "NotoSans[wght].ttf"),
    *((f"NotoSans{script}", _NOTO, f"NotoSans{script}[wght].ttf") for script in _SCRIPTS),
    ("NotoSansSC", _CJK, "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"),
    ("NotoSansKR", _CJK, "fonts/ofl/notosanskr/NotoSansKR[wght].ttf"),
    ("NotoSansSymbols", _NOTO, "NotoSansSymbols[wght].ttf"),
    ("NotoEmoji", _NOTO, "NotoEmoji[wght].ttf"),
)
BASE_FONT = FONTS[0][0]
REGULAR, BOLD = 400, 700
_LOADING = threading.Lock()
_loaded: dict[tuple[str, bool], TTFont] = {}


def font(name: str, bold: bool = False) -> TTFont:
    """The font `name` in its Regular or Bold instance, registered with reportlab as `name` or
    `name`-Bold, read from its package the first time it is asked for."""
    with _LOADING:
        if (name, bold) not in _loaded:
            data = io.BytesIO(static_instance(_path(name), BOLD if bold else REGULAR))
            data.name = f"{name}-{'Bold' if bold else 'Regular'}"  # what reportlab names the embedded file by
            loaded = TTFont(f"{name}-Bold" if bold else name, data)
            pdfmetrics.registerFont(loaded)
            _loaded[name, bold] = loaded
        return _loaded[name, bold]


def static_instance(path: str, weight: int) -> bytes:
    """The variable font at `path` as the static font of its named instance at `weight`, named as
    that instance (NotoSansSC-Regular, not the default instance's NotoSansSC-Thin)."""
    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(path))
    request = uharfbuzz.SubsetInput()
    request.keep_everything()
    request.pin_axis_location(face, "wght", weight)
    return _named(uharfbuzz.subset(face, request).blob.data, path, weight)


def _named(static: bytes, path: str, weight: int) -> bytes:
    """`static` with the names of the instance at `weight` in the variable font at `path`. Only the
    name table is rewritten (the others are copied as they are: lazy loading)."""
    variable = FontFile(path, lazy=True)
    style = next(
        variable["name"].getDebugName(instance.subfamilyNameID)
        for instance in variable["fvar"].instances
        if instance.coordinates == {"wght": weight}
    )
    family = variable["name"].getBestFamilyName()
    postscript = variable["name"].getDebugName(25) or family.replace(" ", "")
    names = {1: family, 2: style, 4: f"{family} {style}", 6: f"{postscript}-{style}", 16: family, 17: style}
    font_file = FontFile(io.BytesIO(static), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    for record in font_file["name"].names:
        if record.nameID in names:
            record.string = names[record.nameID]
    out = io.BytesIO()
    font_file.save(out, reorderTables=None)
    return out.getvalue()


@lru_cache(maxsize=4096)
def font_for(char: str) -> str:
    """The first font that has `char`; the base font when none has it (it prints an empty box)."""
    for name, _package, _path in FONTS:
        if has(name, char):
            return name
    return BASE_FONT


def has(name: str, char: str) -> bool:
    """Whether the font `name` has `char`, in both its instances."""
    return ord(char) in _characters(name)


@lru_cache(maxsize=len(FONTS))
def _characters(name: str) -> frozenset[int]:
    """The characters the font `name` has, read without cutting out an instance: a character in
    Korean is looked for in every font before Noto Sans KR."""
    return frozenset(uharfbuzz.Face(uharfbuzz.Blob.from_file_path(_path(name))).unicodes)


def _path(name: str) -> str:
    package, path = next((package, path) for font, package, path in FONTS if font == name)
    return str(files(package) / path)
