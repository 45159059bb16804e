"""One verification budget per client, shared by the verify page and the APIs, and by every process
and machine of the deployment (core/rate_limits.py)."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from core.client_ip import client_address
from core.rate_limits import RateLimit

VERIFICATIONS = RateLimit("verify", limit=60, period=60)
# Searches for an importer to share with, per exporter: enough to try a few spellings, too few to
# page through the directory of importers' names.
IMPORTER_SEARCHES = RateLimit("importer-search", limit=20, period=60)


class VerifyThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.retry_after = 0

    def allow_request(self, request, view) -> bool:
        verdict = VERIFICATIONS.hit(client_address(request))
        self.retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self) -> int:
        return self.retry_after
