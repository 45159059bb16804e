"""The W3C Bitstring Status List: its encoding, bit order and size, read within bounds."""

from __future__ import annotations

import base64
import gzip
import zlib

import pytest

from credentials.status_list import LIST_SIZE, MAX_LIST_BYTES, bit_is_set, encode_bitstring


def test_the_bitstring_is_msb_first_gzip_base64url_with_131072_entries():
    encoded = encode_bitstring([0, 9])

    assert encoded.startswith("u")
    assert bit_is_set(encoded, 0) and bit_is_set(encoded, 9)
    assert not bit_is_set(encoded, 1) and not bit_is_set(encoded, 8)
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 == LIST_SIZE
    assert raw[0] == 0x80 and raw[1] == 0x40


def encoded(raw_gzip: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(raw_gzip).decode().rstrip("=")


def gzip_of_zeros(megabytes: int) -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = bytes(1024 * 1024)
    return b"".join(deflater.compress(megabyte) for _ in range(megabytes)) + deflater.flush()


def test_a_gzip_bomb_is_refused_without_inflating_it():
    bomb = gzip_of_zeros(256)  # 256 MiB of zeros in a quarter of a megabyte
    assert len(bomb) < 300 * 1024

    with pytest.raises(ValueError, match="inflates to more than"):
        bit_is_set(encoded(bomb), 0)


def test_a_list_up_to_the_maximum_size_is_read():
    raw = bytearray(MAX_LIST_BYTES)
    raw[-1] = 0x01

    assert bit_is_set(encoded(gzip.compress(bytes(raw))), MAX_LIST_BYTES * 8 - 1)


@pytest.mark.parametrize(
    "encoded_list, index, complaint",
    [
        (encode_bitstring([]), -1, "beyond the status list"),
        (encode_bitstring([]), LIST_SIZE, "beyond the status list"),
        ("u" + base64.urlsafe_b64encode(b"not gzip").decode(), 0, "not gzip"),
        (encoded(gzip.compress(bytes(LIST_SIZE // 8))[:-12]), 0, "truncated"),
    ],
)
def test_a_malformed_list_or_index_is_refused_with_a_reason(encoded_list, index, complaint):
    with pytest.raises(ValueError, match=complaint):
        bit_is_set(encoded_list, index)
