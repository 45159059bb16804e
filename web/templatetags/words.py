"""Template filters that turn stored values into the words a person reads."""

from __future__ import annotations

from django import template

from certificates.countries import country_name
from certificates.words import exact_number

register = template.Library()

STATUS_WORDS = {
    "submitted": "waiting for inspection",
    "inspection_failed": "failed inspection",
    "awaiting_certificate": "certificate being issued",
    "certified": "certified",
    "revoked": "certificate revoked",
    "pending": "being issued",
    "active": "valid",
    "passed": "passed",
    "failed": "failed",
}
PLURAL_UNITS = {"bag": "bags", "carton": "cartons"}


@register.filter
def country(code: str | None) -> str:
    """IN → India; an unknown code stays as it is."""
    return (country_name(code) or code) if code else "–"


@register.filter
def amount(value: float | None, unit: str = "") -> str:
    """12500.0, "kg" → "12,500 kg"; 320, "bag" → "320 bags"."""
    if value is None:
        return "–"
    number = exact_number(value)
    unit = PLURAL_UNITS.get(unit, unit) if value != 1 else unit
    return f"{number} {unit}".strip()


@register.filter
def status_words(status: str) -> str:
    return STATUS_WORDS.get(str(status), str(status).replace("_", " "))
