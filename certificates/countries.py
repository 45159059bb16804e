"""ISO 3166-1 alpha-2 country codes, from pycountry."""

from __future__ import annotations

import pycountry


def country_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return country.name if country else None
