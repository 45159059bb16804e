"""One source of "now": timezone-aware UTC, truncated to what MongoDB stores (milliseconds)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def today() -> date:
    """Today's date in UTC, the calendar utcnow() is on (not the server's local one)."""
    return utcnow().date()
