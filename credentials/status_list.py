"""The W3C Bitstring Status List: a gzip-compressed, base64url bitstring, index 0 its leftmost bit."""

from __future__ import annotations

import base64
import gzip

LIST_SIZE = 131_072  # the spec's minimum, for herd privacy


def encode_bitstring(revoked: list[int], size: int = LIST_SIZE) -> str:
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)  # the spec's bit order: index 0 is the leftmost bit
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def bit_is_set(encoded_list: str, index: int) -> bool:
    if not encoded_list.startswith("u"):
        raise ValueError("encodedList is not multibase base64url (it should start with 'u')")
    data = encoded_list[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    if index >= len(bits) * 8:
        raise ValueError(f"index {index} is beyond the status list's {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
