"""Who is asking: the one answer /metrics' address check, every rate limit and the login throttle use.

The address is the socket's (REMOTE_ADDR), unless that peer is one of TRUSTED_PROXIES. Only then is
X-Forwarded-For read, from its right end, where the proxies wrote: each proxy appends the address
it was called from, so the first address from the right that is not itself a trusted proxy is the
client. Anything to its left was written by the client and proves nothing. From any other peer
the header is ignored, whatever it says — otherwise anyone who can reach the app's port directly
(a second listener, a pod probed by its address) could pose as 127.0.0.1 or as a victim.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# What a proxy may tell the app; none of it is believed from anyone else (ForwardedHeadersMiddleware).
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


def client_address(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(_parse(peer)):
        return peer
    address = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        ip = _parse(hop)
        if ip is None:  # garbage is written only by clients: the last address a proxy vouched for stands
            break
        address = str(ip)
        if not is_trusted_proxy(ip):
            break
    return address


def is_trusted_proxy(ip: IPAddress | None) -> bool:
    return ip is not None and any(ip in network for network in settings.TRUSTED_PROXIES)


def _parse(text: str) -> IPAddress | None:
    """An address as proxies write it: 192.0.2.1, 2001:db8::1, [2001:db8::1]:443 or 192.0.2.1:443."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:192.0.2.1, as a dual-stack socket reports it


class ForwardedHeadersMiddleware:
    """Drops X-Forwarded-* from peers that are not TRUSTED_PROXIES, before anything reads them
    (Django's SECURE_PROXY_SSL_HEADER believes X-Forwarded-Proto from whoever sends it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(_parse(request.META.get("REMOTE_ADDR", ""))):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
