"""The printed certificate is set in its fonts' real weights: Regular for text in every script, Bold
for the title.

Its fonts are variable and reportlab prints a font's default instance, which is Thin for Chinese,
Japanese and Korean: their outlines were stroked to look regular (and the title's, to look bold),
and the PDF named the font NotoSansSC-Thin. Now each weight is the font's own named instance. The
first tests read the PDF the importer downloads with pdfium.
"""

from __future__ import annotations

import pytest
import uharfbuzz

from certificates import pdf_fonts
from tests.factories import issue_certificate, make_batch, make_inspection
from tests.printed import download, pieces

TITLE = "Agricultural quality certificate"


@pytest.fixture
def printed(client, tmp_path):
    batch = make_batch(product="有機バスマティ米", variety="Basmati")
    return pieces(download(client, issue_certificate(make_inspection(batch, agency="한국 농산물 검사원")), tmp_path))


@pytest.mark.django_db
def test_chinese_japanese_and_korean_are_printed_in_the_regular_weight_of_their_fonts(printed):
    east_asian = [piece for piece in printed if piece.font.startswith(("NotoSansSC", "NotoSansKR"))]

    assert {piece.font for piece in east_asian} == {"NotoSansSC-Regular", "NotoSansKR-Regular"}
    assert all(piece.weight == 400 and not piece.variable for piece in east_asian)
    words = {word for piece in east_asian for word in piece.text.split()}
    assert {"有機バスマティ米", "한국", "농산물", "검사원"} <= words


@pytest.mark.django_db
def test_the_title_is_in_bold_and_nothing_is_thickened_by_stroking_its_outlines(printed):
    (title,) = [piece for piece in printed if piece.text.strip() == TITLE]

    assert (title.font, title.weight) == ("NotoSans-Bold", 700)
    assert {piece.weight for piece in printed if piece is not title} == {400}
    assert all(piece.filled for piece in printed)


@pytest.mark.parametrize(("font", "text"), [("NotoSansSC", "有機米検"), ("NotoSansKR", "한국"), ("NotoSans", "Rice")])
@pytest.mark.parametrize("bold", [False, True])
def test_each_weight_draws_every_glyph_as_the_variable_font_does_at_that_weight(font, text, bold):
    """Not as its default instance (Thin, for the CJK fonts): HarfBuzz reads both fonts."""
    variable = uharfbuzz.Font(uharfbuzz.Face(uharfbuzz.Blob.from_file_path(pdf_fonts._path(font))))
    default = {char: variable.get_glyph_extents(variable.get_nominal_glyph(ord(char))) for char in text}
    variable.set_variations({"wght": pdf_fonts.BOLD if bold else pdf_fonts.REGULAR})
    static = uharfbuzz.Font(uharfbuzz.Face(uharfbuzz.Blob(pdf_fonts.font(font, bold).face._ttf_data)))

    for char in text:
        expected, printed = variable.get_nominal_glyph(ord(char)), static.get_nominal_glyph(ord(char))
        assert static.get_glyph_extents(printed) == variable.get_glyph_extents(expected), char
        assert static.get_glyph_h_advance(printed) == variable.get_glyph_h_advance(expected), char
        if font != "NotoSans" or bold:
            assert static.get_glyph_extents(printed) != default[char], char
