"""ISO 3166-1 alpha-2 country codes, from pycountry."""

from __future__ import annotations

import pycountry


def country_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return country.name if country else None


def validate_country(code: str) -> None:
    from mongoengine import ValidationError

    if not code or country_name(code) is None or code != code.upper():
        raise ValidationError(f"{code!r} is not an ISO 3166-1 alpha-2 country code such as IN or DE")
