"""CPU cost of anonymous requests for a certificate's public QR PNG and PDF, drawn once and then
served from the shared cache (certificates/renders.py), against drawing each one as before.

    .venv/bin/python bench/public_images.py [--requests 100] [--cold 3]

In one process (the embedded store, Django's test client, the default database cache in a fresh
SQLite file): `--requests` GETs of /c/<token>/qr.png and of certificate.pdf after the first
drawing, and `--cold` GETs that each draw again (the cache emptied before each, as every request
did before). CPU is this process's, client included, so the cached figures are an upper bound.

Prints JSON: CPU seconds for all the cached requests and per request, CPU per fresh drawing, and
the ratio cached ÷ drawn for the same number of requests (target for qr.png: the 100 requests under
1 s of CPU in all).
"""

from __future__ import annotations

import argparse
import json
import time

from standalone import start_django  # bench/ is on the path when a bench runs

start_django(EMBEDDED_WORKER="false")

from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from certificates import renders  # noqa: E402
from core.rate_limits import RateLimit  # noqa: E402
from tests.factories import issue_certificate, make_batch, make_inspection  # noqa: E402

KINDS = ("qr.png", "certificate.pdf")


def cpu_of(requests: int, url: str, *, empty_cache_first: bool) -> float:
    """CPU seconds for `requests` anonymous GETs of `url`, each one answered 200."""
    client = Client(HTTP_HOST="localhost")
    started = time.process_time()
    for _ in range(requests):
        if empty_cache_first:
            caches["renders"].clear()
        response = client.get(url)
        assert response.status_code == 200, response.status_code
    return time.process_time() - started


def measure(url: str, requests: int, cold: int) -> dict:
    drawn = cpu_of(cold, url, empty_cache_first=True) / cold
    cpu_of(1, url, empty_cache_first=False)  # the one drawing the cached requests are served from
    cached = cpu_of(requests, url, empty_cache_first=False)
    return {
        "requests": requests,
        "cached_cpu_seconds_total": round(cached, 3),
        "cached_cpu_ms_per_request": round(cached / requests * 1000, 2),
        "drawn_cpu_ms_per_request": round(drawn * 1000, 1),
        "drawn_cpu_seconds_for_as_many_requests": round(drawn * requests, 2),
        "ratio_cached_to_drawn": round(cached / (drawn * requests), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--cold", type=int, default=3)
    arguments = parser.parse_args()
    call_command("migrate", verbosity=0)
    # Fresh drawings are limited per address and minute: out of the way for the cold runs.
    renders.RENDERS = RateLimit("render", limit=10**6)
    token = issue_certificate(make_inspection(make_batch())).public_token
    results = {
        kind: measure(f"/c/{token}/{kind}", arguments.requests, arguments.cold)
        for kind in ("qr.png", "certificate.pdf")
    }
    results["qr.png"]["target_met"] = results["qr.png"]["cached_cpu_seconds_total"] < 1.0 * arguments.requests / 100
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
