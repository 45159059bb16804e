"""The rules a batch and an inspection must meet: one definition for the documents, the API and the forms.

Each validator raises Django's ValidationError with a message for the person who typed the value;
forms and DRF serializers take them as they are, documents through `document_rule`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import mongoengine
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from certificates.countries import country_name
from certificates.words import exact_number

# Every free-text value is signed into the certificate, whose QR code must carry the whole of it
# at version 25 or less (what phone cameras read from paper). The code carries bytes, so the limits
# count UTF-8 bytes, not characters: a Latin letter takes 1, an accented one 2, Devanagari and
# Chinese 3, an emoji 4. Text that compresses worst is not one script but many mixed (its bytes
# spread over every value): with every field full of it and long production URLs, the code is
# still version 25 (tests/test_qr_codes.py), with about 1% to spare.
TEXT_LIMITS = {
    "batch_number": 32,
    "product": 32,
    "variety": 32,
    "origin_region": 24,
    "farm": 24,
    "exporter_name": 48,
    "agency": 48,
    "grade": 8,
}
BATCH_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$"
HS_CODE_PATTERN = r"^\d{4}(\.?\d{2}){0,2}$"

validate_batch_number = RegexValidator(
    BATCH_NUMBER_PATTERN, "Use 2–32 letters, digits, '.', '_' or '-', starting with a letter or digit."
)
validate_hs_code = RegexValidator(HS_CODE_PATTERN, "An HS code has 4, 6 or 8 digits, e.g. 1006.30.")


def validate_country(code: object) -> None:
    """An ISO 3166-1 alpha-2 code as stored: upper case, e.g. IN or DE."""
    if not isinstance(code, str) or code != code.upper() or country_name(code) is None:
        raise ValidationError(f"“{code}” is not a country code: use the two-letter ISO code, e.g. IN for India.")


@dataclass(frozen=True)
class Bounds:
    """A finite number within [low, high]. NaN passes every comparison, so finiteness is checked
    first; a boolean is not a number here (JSON `true` must not become 1.0)."""

    low: float
    high: float
    what: str
    unit: str = ""

    def __call__(self, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"{self.what} must be a number.")
        if not math.isfinite(value):
            raise ValidationError(f"{self.what} must be a finite number, not {value}.")
        if not self.low <= value <= self.high:
            low, high, got = (exact_number(number) for number in (self.low, self.high, value))
            raise ValidationError(f"{self.what} must be between {low} and {high}{self.unit} (got {got}{self.unit}).")


QUANTITY = Bounds(0.001, 1e9, "Quantity")
MOISTURE_PERCENT = Bounds(0, 100, "Moisture", " %")
PESTICIDE_RESIDUE_MG_PER_KG = Bounds(0, 1e6, "Pesticide residue", " mg/kg")
FOREIGN_MATTER_PERCENT = Bounds(0, 100, "Foreign matter", " %")


# Characters that change what a reader sees without being seen themselves: controls (Cc: \x01, the
# escape that starts terminal sequences…), formatting characters (Cf: bidirectional overrides,
# embeddings, isolates and marks, which show "Rice" signed as "eciR"; zero-width spaces; the soft
# hyphen, invisible except at a line break, so "Bas\u00admati" looks like "Basmati" but is not),
# lone surrogates (Cs, half a character, which cannot even be stored as UTF-8) and the Unicode line
# and paragraph separators. Signed into a certificate, they make a verifier's screen show other
# text than was signed, or two values look alike that are not. ZWNJ and ZWJ are kept: Persian and
# the Indic scripts need them to spell words (and emoji to join).
JOINERS = {"\u200c", "\u200d"}
HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
LINE_BREAKS = {"\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"}
RETYPE = "remove it (type the value rather than pasting it)"


@dataclass(frozen=True)
class PlainText:
    """Text as a person reads it on a certificate or a page: nothing invisible, nothing that
    reorders the rest, and when it is signed, at most `limit` bytes in UTF-8. `multiline` text may
    hold line feeds (\\n), and no other line break."""

    what: str
    limit: int | None = None
    multiline: bool = False
    fix: str = RETYPE
    shorten: str = ""  # what to do, when the person who sees the message cannot just shorten it

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return  # the field's type says what it takes
        for char in value:
            problem = _hidden(char, self.multiline)
            if problem:
                raise ValidationError(f"{self.what} {problem}: {self.fix}.")
        if value.startswith("_:"):
            # JSON-LD verifiers read such a string as a blank-node name, and ours refuses the whole
            # credential for it (credentials/limits.py): a certificate carrying it would verify nowhere.
            raise ValidationError(f"{self.what} cannot start with “_:”: verifiers would refuse the certificate.")
        size = len(value.encode())
        if self.limit is not None and size > self.limit:
            raise ValidationError(
                f"{self.what} must fit the certificate's QR code: at most {self.limit} plain Latin characters, fewer "
                "in other scripts (accented letters take 2 bytes, Chinese or Devanagari 3, emoji 4): this one is "
                f"{size} bytes, the limit is {self.limit}.{self.shorten}"
            )


def _hidden(char: str, multiline: bool) -> str | None:
    """Why `char` may not be in plain text, as the end of a sentence; None when it may."""
    if char in JOINERS or (char == "\n" and multiline) or unicodedata.category(char) not in HIDDEN_CATEGORIES:
        return None
    code = f"U+{ord(char):04X}"
    if char in LINE_BREAKS:
        return f"contains a line break other than a new line ({code})" if multiline else f"must be one line ({code})"
    if unicodedata.category(char) == "Cc":
        return f"contains a control character ({code})"
    if unicodedata.category(char) == "Cs":
        return f"contains half of a broken character ({code})"
    return f"contains the invisible formatting character {code} ({unicodedata.name(char, 'unnamed')})"


PLAIN_TEXT = {
    "product": PlainText("Product", TEXT_LIMITS["product"]),
    "variety": PlainText("Variety", TEXT_LIMITS["variety"]),
    "origin_region": PlainText("Origin region", TEXT_LIMITS["origin_region"]),
    "farm": PlainText("Farm", TEXT_LIMITS["farm"]),
    "exporter_name": PlainText("Exporter name", TEXT_LIMITS["exporter_name"]),
    "agency": PlainText("Agency", TEXT_LIMITS["agency"]),
    "grade": PlainText("Grade", TEXT_LIMITS["grade"]),
    "notes": PlainText("Notes", multiline=True),  # kept with the inspection, never signed
}
# A user's name is printed as the exporter or the agency of every certificate they take part in.
ORGANISATION = PlainText(
    "Your organisation's name",
    min(TEXT_LIMITS["exporter_name"], TEXT_LIMITS["agency"]),
    fix="ask an administrator to correct it (the user's first name)",
    shorten=" Ask an administrator to shorten it (the user's first name).",
)


def normalise_newlines(text: str) -> str:
    """Windows line ends (what browsers send from a textarea) as the line feeds multi-line text keeps."""
    return text.replace("\r\n", "\n")


def validate_organisation(name: str) -> None:
    """An exporter's or agency's name as printed on certificates (the user's full name)."""
    ORGANISATION(name)


# Web and worker hosts keep their clocks synchronised (see README); this much disagreement between
# two of them, or with an inspector's device, is forgiven.
CLOCK_SKEW = timedelta(minutes=5)


def validate_inspection_time(
    inspected_at: datetime, *, submitted_at: datetime, backdating_days: int, now: datetime
) -> None:
    """A time an inspector chose for an inspection (otherwise it is the server's): only where the
    deployment allows backdating, then up to `backdating_days` back, never before the batch was
    submitted nor in the future (each give or take CLOCK_SKEW)."""
    when = f"{inspected_at:%Y-%m-%d %H:%M} UTC"
    if backdating_days == 0:
        raise ValidationError(
            "This service records the time an inspection is received: leave inspected_at out "
            "(backdating is off, INSPECTION_BACKDATING_DAYS is 0)."
        )
    if inspected_at > now + CLOCK_SKEW:
        raise ValidationError(f"The inspection time {when} is in the future (it is {now:%Y-%m-%d %H:%M} UTC here).")
    if inspected_at < submitted_at - CLOCK_SKEW:
        raise ValidationError(
            f"The inspection time {when} is before the batch was submitted ({submitted_at:%Y-%m-%d %H:%M} UTC)."
        )
    if inspected_at < now - timedelta(days=backdating_days) - CLOCK_SKEW:
        raise ValidationError(
            f"The inspection time {when} is more than {backdating_days} day(s) ago, further back than this "
            "service accepts (INSPECTION_BACKDATING_DAYS)."
        )


def document_rule(validator: Callable[[object], None]) -> Callable[[object], None]:
    """`validator` as a MongoEngine field's `validation`, which must raise MongoEngine's error."""

    def validate(value: object) -> None:
        try:
            validator(value)
        except ValidationError as exc:
            raise mongoengine.ValidationError(exc.messages[0]) from None

    return validate
