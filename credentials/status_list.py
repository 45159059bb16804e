"""The W3C Bitstring Status List: a gzip-compressed, base64url bitstring, index 0 its leftmost bit."""

from __future__ import annotations

import base64
import gzip
import zlib

LIST_SIZE = 131_072  # the spec's minimum, for herd privacy
# The most bits a list may hold once decompressed (16 MiB of bits: 128 times the minimum). A few KB
# of gzip can inflate to gigabytes; decompression stops past this instead of allocating it.
MAX_LIST_BYTES = 16 * 1024 * 1024 // 8
MAX_ENCODED_LENGTH = 4 * 1024 * 1024


def encode_bitstring(revoked: list[int], size: int = LIST_SIZE) -> str:
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)  # the spec's bit order: index 0 is the leftmost bit
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def bit_is_set(encoded_list: str, index: int) -> bool:
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList is not multibase base64url (it should start with 'u')")
    if len(encoded_list) > MAX_ENCODED_LENGTH:
        raise ValueError(f"encodedList is longer than {MAX_ENCODED_LENGTH:,} characters")
    data = encoded_list[1:]
    bits = _gunzip(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"index {index} is beyond the status list's {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _gunzip(compressed: bytes) -> bytes:
    """The gzip member in `compressed`, refused past MAX_LIST_BYTES before more is allocated."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
    try:
        bits = inflater.decompress(compressed, MAX_LIST_BYTES + 1)
    except zlib.error as exc:
        raise ValueError(f"encodedList is not gzip: {exc}") from None
    if len(bits) > MAX_LIST_BYTES:
        raise ValueError(f"encodedList inflates to more than {MAX_LIST_BYTES * 8:,} entries")
    if not inflater.eof:
        raise ValueError("encodedList is a truncated gzip stream")
    return bits
