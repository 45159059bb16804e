"""The W3C Bitstring Status List: its encoding, bit order and size."""

from __future__ import annotations

import base64
import gzip

from credentials.status_list import LIST_SIZE, bit_is_set, encode_bitstring


def test_the_bitstring_is_msb_first_gzip_base64url_with_131072_entries():
    encoded = encode_bitstring([0, 9])

    assert encoded.startswith("u")
    assert bit_is_set(encoded, 0) and bit_is_set(encoded, 9)
    assert not bit_is_set(encoded, 1) and not bit_is_set(encoded, 8)
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 == LIST_SIZE
    assert raw[0] == 0x80 and raw[1] == 0x40
