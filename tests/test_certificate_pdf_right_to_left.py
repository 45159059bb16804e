"""Arabic and Hebrew on the printed certificate read right to left, and numbers and Latin words among
them left to right, as the Unicode Bidirectional Algorithm lays them out: each paragraph wrapped as
typed, then each line reordered.

The certificate printed a line in the order it was typed, each Arabic run shaped right to left as
a whole: "مزرعة النخيل 12 Ltd" came out as "21 مزرعة النخيلLtd", the number reversed and Ltd on the
wrong side. The first tests read the PDF the importer downloads with pdfium; pdfium gives back
right-to-left text reversed, so they compare where each word is drawn.
"""

from __future__ import annotations

import pytest
from reportlab.lib.pagesizes import A4

from certificates import pdf, pdf_text
from tests.factories import issue_certificate, make_batch, make_inspection
from tests.printed import download, find, pieces

WIDTH, HEIGHT = A4


@pytest.fixture
def printed(client, tmp_path):
    batch = make_batch(product="Rice", variety="מטע 7 הזיתים", exporter_name="مزرعة النخيل 12 Ltd")
    return pieces(download(client, issue_certificate(make_inspection(batch, agency="مختبر ١٢ للجودة")), tmp_path))


@pytest.mark.django_db
def test_an_arabic_name_reads_from_the_right_with_its_number_and_latin_word_after_it(printed):
    farm, number, company = find(printed, "مزرعة النخيل"), find(printed, "12"), find(printed, "Ltd")

    assert company.right < number.left and number.right < farm.left
    assert farm.bottom < number.top and number.bottom < company.top  # one line


@pytest.mark.django_db
def test_hebrew_words_in_a_latin_line_read_from_the_right(printed):
    rice, olives, seven, grove = (find(printed, word) for word in ("Rice", "הזיתים", "7", "מטע"))

    assert rice.right < olives.left < olives.right < seven.left < seven.right < grove.left


@pytest.mark.django_db
def test_every_word_stays_inside_the_page_and_the_values_column(printed):
    for piece in printed:
        assert 0 <= piece.bottom and piece.top <= HEIGHT, piece
        assert pdf.MARGIN - 2 <= piece.left and piece.right <= WIDTH - pdf.MARGIN, piece
    for word in ("مزرعة النخيل", "12", "Ltd", "הזיתים", "مختبر", "للجودة"):
        assert find(printed, word).left >= pdf.VALUE_X - 1, word


def test_arabic_indic_digits_read_left_to_right_among_arabic_words():
    """They are Arabic script, from which HarfBuzz would guess right to left: "١٢" printed as "٢١"."""
    runs = pdf_text.shaped("مختبر ١٢ للجودة", 10)
    laboratory, digits = runs[-1], runs[2]

    assert [run.text.strip() for run in runs] == ["للجودة", "", "١٢", "مختبر"]
    assert (digits.glyphs, digits.right_to_left) == ("١٢", False)
    assert laboratory.right_to_left
    clusters = [placement.cluster for placement in laboratory.glyphs.__shapeData__]
    assert clusters == sorted(clusters, reverse=True), "the Arabic letters are not drawn from the right"


def test_brackets_around_arabic_in_a_latin_line_face_the_arabic_word():
    """UAX #9's bracket pairs: "Farm (مزرعة) 12", not "Farm (12 (مزرعة"."""
    assert [run.text for run in pdf_text.shaped("Farm (مزرعة) 12", 10)] == ["Farm (", "مزرعة", ") ", "12"]


def test_a_right_to_left_paragraph_is_wrapped_as_typed_then_each_line_reads_from_the_right():
    """The second line starts with a Latin word, yet reads right to left: its direction comes from
    the whole paragraph, and its words are reordered within the line only."""
    text = "אחת שתיים Ltd ארבע"
    lines = pdf_text.wrap(text, 10, pdf_text.width("אחת שתיים", 10) + 1)

    assert [line.text for line in lines] == ["אחת שתיים", "Ltd ארבע"]
    assert [run.text for run in pdf_text.shaped(lines[0], 10)] == ["אחת שתיים"]
    assert [run.text for run in pdf_text.shaped(lines[1], 10)] == ["ארבע", " ", "Ltd"]
    assert [run.text for run in pdf_text.shaped("Ltd ארבע", 10)] == ["Ltd ", "ארבע"]  # alone, it would not
