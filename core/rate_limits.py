"""Per-client budgets (n requests a minute) that every process and machine of a deployment shares.

A budget is a counter in the shared cache (core/shared_cache.py): the first request of a client
starts a window of `period` seconds, and within it at most `limit` requests pass. Counting is one
atomic increment, so several processes counting the same client never lose a hit. The window is
fixed, not sliding: a client that waits for a window to end gets its whole budget back.

IPv6 clients are counted per /64 network: a single machine or home is usually given a whole /64,
and could otherwise take a fresh budget from each of its 2^64 addresses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.core.cache import caches

from core.clock import utcnow


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)


@dataclass(frozen=True)
class RateLimit:
    name: str
    limit: int
    period: int = 60

    def hit(self, address: str) -> Verdict:
        """Count one request from `address`, and say whether it is within the budget."""
        key = f"rate:{self.name}:{budget_holder(address)}"
        if _count(key, self.period) <= self.limit:
            return Verdict(True, 0)
        ends = caches["default"].get(f"{key}:ends")
        return Verdict(False, max(1, round(ends - utcnow().timestamp())) if ends else self.period)


def budget_holder(address: str) -> str:
    """Whose budget a request from `address` spends: the address, or its /64 for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _count(key: str, period: int) -> int:
    cache = caches["default"]
    for _ in range(3):
        try:
            count = cache.incr(key)
        except ValueError:  # no window yet, or it just ended: start one (only one process wins)
            if cache.add(key, 0, period):
                cache.set(f"{key}:ends", utcnow().timestamp() + period, period)
            continue
        if count == 1:
            # Redis's INCR recreates a key that expired between Django's existence check and it,
            # without an expiry: a counter that would never reset. Give it one.
            cache.touch(key, period)
        return count
    raise RuntimeError(f"the shared cache keeps losing the counter {key!r}")
