"""What a credential from a stranger may be, checked before any expensive work is done on it.

Verification is public, so every input is hostile until measured. The bounds are far above what
a real certificate needs (ours: ~2.5 KB of JSON, depth 6, ~60 objects and strings) and far below
what costs real time or memory:

- blank-node identifiers ("_:…") are refused wherever they appear, but as an @value: JSON-LD reads
  one as a node reference not only under @id but as a @type, under any term its context types
  @id or @vocab (our own context's `exporter`, `assessment`…), as a term or @vocab mapping, so
  only refusing them all closes every route; they are how blank nodes get interlinked, and RDF
  canonicalisation of interlinked blank nodes is factorial (six objects listing six such names
  took 25 s). Nothing we or Inji Certify issue has a string starting with "_:" (a free-text value
  that did would be refused too). The shape of the blank nodes is checked again on the quads,
  whatever made them (credentials/blank_nodes.py);
- size, nesting depth, objects, array lengths and string lengths are capped, so parsing,
  expansion and hashing are linear in a small input;
- QR text is at most what a QR code can hold; its zlib payload is inflated with a ceiling (no
  zlib bombs) and its CBOR is scanned before decoding: definite lengths, no tags (so no value
  sharing, bignums or decimals), bounded depth and item count.
"""

from __future__ import annotations

import json
import math
import zlib

MAX_CREDENTIAL_BYTES = 64 * 1024
MAX_DEPTH = 16
MAX_OBJECTS = 500
MAX_ARRAY_ITEMS = 200
MAX_STRING_CHARS = 8 * 1024
MAX_PROOF_VALUE_CHARS = 256  # an Ed25519 signature is 88 base58 characters
MAX_QR_TEXT_CHARS = 4296  # the most a QR code (version 40, alphanumeric) can hold
MAX_CBOR_ITEMS = 5000


class UnreadableCredential(ValueError):
    """The input is not a credential this service will read; the message says why."""


def parse_json(text: str | bytes) -> dict:
    if len(text) > MAX_CREDENTIAL_BYTES:
        raise UnreadableCredential(f"larger than {MAX_CREDENTIAL_BYTES // 1024} KB, which no certificate is")
    try:
        document = json.loads(text)
    except RecursionError:
        raise UnreadableCredential(f"nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableCredential(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise UnreadableCredential("not a credential: expected a JSON object")
    check_document(document)
    return document


def check_document(document: object) -> None:
    """Raise UnreadableCredential unless `document` stays within every bound above."""
    if not isinstance(document, dict):
        raise UnreadableCredential("not a credential: expected a JSON object")
    objects = 0
    pending: list[tuple[object, int, str]] = [(document, 1, "")]
    while pending:
        value, depth, key = pending.pop()
        if depth > MAX_DEPTH:
            raise UnreadableCredential(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            objects += 1
            if objects > MAX_OBJECTS:
                raise UnreadableCredential(f"more than {MAX_OBJECTS} objects, which no certificate has")
            for name, item in value.items():
                if not isinstance(name, str):  # CBOR maps may have any key; JSON-LD needs text
                    raise UnreadableCredential(f"a property name is not text ({type(name).__name__})")
                _check_string(name, "a property name")
                _refuse_blank_node_name(name, "a property name")
                pending.append((item, depth + 1, name))
        elif isinstance(value, list):
            if len(value) > MAX_ARRAY_ITEMS:
                raise UnreadableCredential(f"a list of more than {MAX_ARRAY_ITEMS} items")
            pending.extend((item, depth + 1, key) for item in value)
        elif isinstance(value, str):
            _check_string(value, f"the value of {key!r}")
            if key != "@value":
                _refuse_blank_node_name(value, f"the value of {key!r}")
            if key == "proofValue" and len(value) > MAX_PROOF_VALUE_CHARS:
                raise UnreadableCredential("its proofValue is far longer than any signature")
        elif isinstance(value, float) and not math.isfinite(value):
            raise UnreadableCredential(f"the value of {key!r} is not a finite number")


def _refuse_blank_node_name(value: str, what: str) -> None:
    if value.startswith("_:"):
        raise UnreadableCredential(
            f"{what} names a blank node ({value[:20]!r}); credentials do not need them, and they can make "
            "checking a signature take unbounded time"
        )


def _check_string(value: str, what: str) -> None:
    if len(value) > MAX_STRING_CHARS:
        raise UnreadableCredential(f"{what} is longer than {MAX_STRING_CHARS} characters")


def inflate(data: bytes) -> bytes:
    """zlib-decompress at most MAX_CREDENTIAL_BYTES; a bomb stops at the ceiling."""
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, MAX_CREDENTIAL_BYTES + 1)
    except zlib.error:
        raise UnreadableCredential("the QR data is Base45 but not zlib-compressed") from None
    if len(raw) > MAX_CREDENTIAL_BYTES or inflater.unconsumed_tail:
        raise UnreadableCredential(f"the QR data inflates to more than {MAX_CREDENTIAL_BYTES // 1024} KB")
    if not inflater.eof:
        raise UnreadableCredential("the QR data's zlib stream is cut short")
    return raw


def check_cbor(data: bytes) -> None:
    """Walk the CBOR items without building them: definite lengths, no tags, bounded depth and count."""
    position, items = 0, 0
    remaining = [1]  # items still to read at each open level
    while remaining:
        if remaining[-1] == 0:
            remaining.pop()
            continue
        remaining[-1] -= 1
        items += 1
        if items > MAX_CBOR_ITEMS or len(remaining) > MAX_DEPTH:
            raise UnreadableCredential("the QR data's CBOR is larger or deeper than any certificate")
        if position >= len(data):
            raise UnreadableCredential("the QR data's CBOR is cut short")
        major, info = data[position] >> 5, data[position] & 0x1F
        position += 1
        if info == 31:
            raise UnreadableCredential("the QR data's CBOR uses indefinite lengths")
        if info >= 28:
            raise UnreadableCredential("the QR data's CBOR is malformed")
        argument, position = _argument(data, position, info)
        if major == 6:
            raise UnreadableCredential("the QR data's CBOR uses tags, which a credential never needs")
        if major in (2, 3):
            position += argument
            if position > len(data):
                raise UnreadableCredential("the QR data's CBOR is cut short")
        elif major in (4, 5):
            if argument > MAX_CBOR_ITEMS:
                raise UnreadableCredential("the QR data's CBOR is larger than any certificate")
            remaining.append(argument * (2 if major == 5 else 1))
    if position != len(data):
        raise UnreadableCredential("the QR data has bytes after its CBOR item")


def _argument(data: bytes, position: int, info: int) -> tuple[int, int]:
    if info < 24:
        return info, position
    size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    if position + size > len(data):
        raise UnreadableCredential("the QR data's CBOR is cut short")
    value = int.from_bytes(data[position : position + size], "big")
    return value, position + size
