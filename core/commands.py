"""What every management command that reads the app's data must say in the embedded mode."""

from __future__ import annotations

from django.conf import settings

EMBEDDED_NOTICE = (
    "Note: embedded mode (no MONGODB_URI). This command has an empty in-memory store of its own: the "
    "data of a running scripts/run lives inside that process. Use its admin ({site}/admin/) there, or "
    "set MONGODB_URI so that the app and its commands share one database."
)


def embedded_notice() -> str | None:
    return EMBEDDED_NOTICE.format(site=settings.SITE_URL) if settings.EMBEDDED_MODE else None
