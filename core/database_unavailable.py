"""A database that does not answer in time is an outage, not a bug: pages and the API answer 503.

pymongo raises the outage (no primary within serverSelectionTimeoutMS, a network error, an
operation past timeoutMS or wtimeoutMS: core.mongo.unavailable) out of whichever view met it. Nothing
is retried here: a write that timed out may have been applied, so the answer to an unsafe method
says so, and the person (or API client) checks before sending it again. No 500 page and no
traceback: the operator sees the outage on /readyz and in the log line below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from core.mongo import unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not unavailable(exception):
            return None
        may_have_applied = request.method not in ("GET", "HEAD", "OPTIONS")
        log.warning(
            "outcome=database_unavailable method=%s path=%s error=%s may_have_applied=%s",
            request.method,
            request.path,
            exception.__class__.__name__,  # the message may name hosts; the kind is enough to act on
            may_have_applied,
        )
        response = _json(may_have_applied) if _wants_json(request) else _page(may_have_applied)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path.startswith("/api/")
        or request.content_type == "application/json"
        or "application/json" in request.headers.get("Accept", "")
    )


def _json(may_have_applied: bool) -> JsonResponse:
    detail = "The database did not answer in time. Try again in a minute."
    if may_have_applied:
        detail += " The request may or may not have been applied: read the resource before sending it again."
    return JsonResponse({"detail": detail}, status=503)


def _page(may_have_applied: bool) -> HttpResponse:
    body = render_to_string("database_unavailable.html", {"may_have_applied": may_have_applied})
    return HttpResponse(body, status=503)
