"""A certificate's images and PDF, drawn once per state and served from the shared cache.

Drawing is the expensive part of an anonymous request (a printable QR PNG costs most of a second of
CPU), so each drawing is kept in the "renders" cache (core/shared_cache.py, shared by every web
process) under its state: the certificate, its status and revocation time, SITE_URL (printed on the
PDF) and RENDERER_VERSION. A revocation is a new state, with a new ETag and a new drawing.

Responses carry that ETag and a short max-age (a revocation shows within a minute); a client that
sends the ETag back (If-None-Match) gets 304 without the cache being read. Only drawings count
against a client's budget (RENDERS, per address and minute): a cached copy or a 304 costs nothing
worth limiting, while fresh drawings are what an abuser would ask for — many certificates, or
entries evicted from the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response

from certificates.models import Certificate
from core.client_ip import client_address
from core.rate_limits import RateLimit

# Change it whenever a drawing changes (layout, QR size, wording): every cached copy is then stale.
RENDERER_VERSION = 1
RENDERS = RateLimit("render", limit=20, period=60)
MAX_AGE_SECONDS = 60
# An entry's key names its state, so it never goes stale; this only bounds how long it takes room.
CACHED_FOR_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Kind:
    name: str
    content_type: str


QR_PNG = Kind("qr.png", "image/png")
QR_SVG = Kind("qr.svg", "image/svg+xml")
PDF = Kind("certificate.pdf", "application/pdf")


def state_tag(certificate: Certificate, kind: Kind) -> str:
    revoked_at = certificate.revoked_at.isoformat() if certificate.revoked_at else ""
    state = f"{kind.name}|{certificate.pk}|{certificate.status}|{revoked_at}|{settings.SITE_URL}|{RENDERER_VERSION}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def rendered(
    request: HttpRequest, certificate: Certificate, kind: Kind, draw: Callable[[], bytes | str], *, public: bool
) -> HttpResponse:
    """The drawing of `certificate` as `kind`: 304 when the client's copy is current, from the cache
    when it holds it, drawn (within the client's budget) otherwise; 429 over the budget.

    `public`: anyone with the link may see it, and shared caches may keep it; otherwise (the API,
    signed in) only the user's own browser."""
    tag = state_tag(certificate, kind)
    etag = f'"{tag}"'
    cache_control = f"{'public' if public else 'private'}, max-age={MAX_AGE_SECONDS}"
    response = get_conditional_response(request, etag=etag)
    if response is None:
        content = caches["renders"].get(f"render:{tag}")
        if content is None:
            verdict = RENDERS.hit(client_address(request))
            if not verdict.allowed:
                return _too_many(request, verdict.retry_after)
            content = draw()
            caches["renders"].set(f"render:{tag}", content, CACHED_FOR_SECONDS)
        response = HttpResponse(content, content_type=kind.content_type)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = (
        f"Too many certificate images and PDFs drawn for your address ({RENDERS.limit} a minute): "
        f"try again in {retry_after} s. Copies already drawn are served without limit."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response
