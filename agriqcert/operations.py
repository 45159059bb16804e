"""What a load balancer, Kubernetes and Prometheus ask of the web app: /healthz, /readyz, /metrics.

Answered first in the middleware chain, before host validation, the HTTPS redirect and sessions:
probes and scrapers call the process by its address over plain HTTP, with no cookies.

- GET /healthz: the process answers (no database): 200.
- GET /readyz: the databases answer, MongoDB's indexes are in place, the issuer is configured:
  200, or 503 naming each failing check. No secret (URI, password, key) is ever in the answer.
- GET /metrics: Prometheus's text format, to a scraper sending `Authorization: Bearer
  METRICS_TOKEN` or from METRICS_ALLOWED_NETWORKS (default: this machine); 403 otherwise.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import Callable

import mongoengine
import pymongo
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core import indexes, mongo
from core.client_ip import client_address

log = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 2.0


class OperationsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.routes = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        handler = self.routes.get(request.path_info)
        if handler is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = _json({"error": f"{request.path_info} answers GET only"}, 405)
            response["Allow"] = "GET, HEAD"
            return response
        return handler(request)


def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    checks = {name: _run(check) for name, check in READINESS_CHECKS.items()}
    ready = all(result == "ok" for result in checks.values())
    if not ready:
        log.warning(
            "outcome=not_ready %s", " ".join(f"{name}={result!r}" for name, result in checks.items() if result != "ok")
        )
    return _json({"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503)


def _run(check: Callable[[], str | None]) -> str:
    try:
        return check() or "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer; only its kind is shown
        return f"failed ({exc.__class__.__name__})"


def _mongodb() -> str | None:
    with pymongo.timeout(READINESS_TIMEOUT_SECONDS):
        mongoengine.get_db().command("ping")
    return None


def _indexes() -> str | None:
    if mongo.is_embedded():
        return None  # the embedded store builds its own at start
    with pymongo.timeout(READINESS_TIMEOUT_SECONDS):
        found = indexes.problems()
    if found:
        return f"missing or different: {', '.join(str(problem) for problem in found[:5])} (run ensure_indexes)"
    return None


def _accounts_database() -> str | None:
    connection.ensure_connection()
    return None


def _issuer() -> str | None:
    if settings.INJI_MOCK_MODE:
        from certificates.signing import local_signing_key

        local_signing_key()  # the key file is readable (or created, in the embedded mode)
        return None
    if not settings.INJI_API_URL:
        return "INJI_API_URL is not set (INJI_MOCK_MODE is false)"
    return None


READINESS_CHECKS: dict[str, Callable[[], str | None]] = {
    "mongodb": _mongodb,
    "indexes": _indexes,
    "accounts_database": _accounts_database,
    "issuer": _issuer,
}


def metrics(request: HttpRequest) -> HttpResponse:
    if not _may_scrape(request):
        return HttpResponse(
            "Metrics are served to a scraper with the METRICS_TOKEN bearer token or from METRICS_ALLOWED_NETWORKS.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    from issuance.metrics import queue_registry

    return HttpResponse(generate_latest(queue_registry()), content_type=CONTENT_TYPE_LATEST)


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def _json(payload: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response
