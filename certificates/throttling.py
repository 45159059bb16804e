"""One verification budget per client, shared by the verify page and the API."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from core.client_ip import client_address


class VerifyThrottle(SimpleRateThrottle):
    scope = "verify"
    rate = "60/min"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
