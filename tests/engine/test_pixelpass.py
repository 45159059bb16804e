"""PixelPass, as Inji Verify reads it: the QR version is counted right, and garbage is refused with a reason."""

from __future__ import annotations

import zlib

import base45
import pytest
import segno

from credentials import qr
from credentials.qr import QRDecodeError, decode_pixelpass

LENGTHS = [1, 25, 26, 40, 47, 48, 1000, 1852, 1853, 1900, 2000, 3000, 4296, 4297, 6000]


@pytest.mark.parametrize("alphabet", ["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:", "abc{}"])
@pytest.mark.parametrize("length", LENGTHS)
def test_the_version_issuing_checks_is_the_version_segno_draws(length, alphabet):
    """Issuing counts the version's bits without drawing the code; it must be the version segno
    draws (around each version's limit, around version 25's, and past the largest code)."""
    content = (alphabet * 200 * 27)[:length]
    try:
        drawn = segno.make(content, error="l", micro=False).version
    except segno.DataOverflowError:
        drawn = 41

    assert qr._version_for(content) == drawn


@pytest.mark.parametrize(
    "text, reason",
    [("hello world!", "not Base45"), (base45.b45encode(b"raw").decode(), "not zlib"), ("", "empty")],
)
def test_garbage_qr_text_is_refused_with_a_reason(text, reason):
    with pytest.raises(QRDecodeError, match=reason):
        decode_pixelpass(text)


def test_pixelpass_data_holding_plain_json_also_decodes():
    text = base45.b45encode(zlib.compress(b'{"a": 1}', 9)).decode()

    assert decode_pixelpass(text) == {"a": 1}
