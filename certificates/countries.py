"""ISO 3166-1 alpha-2 country codes, from pycountry."""

from __future__ import annotations

import pycountry


def country_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return country.name if country else None


def countries_by_name() -> list[tuple[str, str]]:
    """Every (code, name), in the order people look for them: by name."""
    return sorted(((country.alpha_2, country.name) for country in pycountry.countries), key=lambda pair: pair[1])
