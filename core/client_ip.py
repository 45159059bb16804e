"""Who is asking: the one answer every rate limit and the login throttle use.

The address is the socket's (REMOTE_ADDR). Only when NUM_PROXIES trusted proxies are in front of
the app does X-Forwarded-For count, and then only the entry those proxies added: anything to its
left was written by the client and proves nothing (a new fake address per request would
otherwise get a new rate-limit budget per request).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    proxies = settings.NUM_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-min(proxies, len(forwarded))] if forwarded else remote
