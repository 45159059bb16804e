"""Time to render the admin's jobs list over a large queue, on the embedded (mongomock) store.

    .venv/bin/python bench/admin_jobs.py [--jobs 100000]

Prints JSON: seconds per page for the first page, a deep page, a filtered page and a search, and
the process's peak memory. The list's queries are skip/limit pages served by indexes on MongoDB
(`newest`, `by_status`, `by_batch`); mongomock has no indexes and scans, so these figures are an
upper bound for the embedded mode, not a measure of MongoDB.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import timedelta

from standalone import start_django  # bench/ is on the path when a bench runs

start_django()

from bson import ObjectId  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from core import mongo  # noqa: E402
from core.clock import utcnow  # noqa: E402
from issuance.models import IssuanceJob  # noqa: E402


def seed(jobs: int) -> None:
    collection = IssuanceJob._get_collection()
    collection.drop_indexes()  # mongomock checks unique keys by scanning: bulk-load first, index after
    now = utcnow()
    statuses = ["success"] * 90 + ["failed"] * 6 + ["pending"] * 3 + ["processing"]
    batch, inspection = ObjectId(), ObjectId()
    for start in range(0, jobs, 10_000):
        collection.insert_many(
            [
                {
                    "status": statuses[n % 100],
                    "dedupe_key": f"{inspection}:{n}",
                    "batch_id": batch,
                    "batch_number": f"BATCH-{n:06d}",
                    "inspection_id": inspection,
                    "revision": n,
                    "trigger": "automatic",
                    "attempt_count": 1,
                    "max_attempts": 3,
                    "attempts_left": 2,
                    "next_attempt_at": None if statuses[n % 100] != "pending" else now,
                    "errors": [],
                    "created_at": now - timedelta(seconds=n),
                    "updated_at": now - timedelta(seconds=n),
                }
                for n in range(start, min(jobs, start + 10_000))
            ]
        )


def timed(client: Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    mongo.connect()
    seed(args.jobs)
    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench-password")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    pages = args.jobs // 50
    result = {
        "jobs": args.jobs,
        "seconds_first_page": timed(client, "/admin/issuance/jobs/"),
        "seconds_deep_page": timed(client, f"/admin/issuance/jobs/?p={pages // 2}"),
        "seconds_failed_will_retry": timed(client, "/admin/issuance/jobs/?outcome=will_retry"),
        "seconds_search_batch": timed(client, "/admin/issuance/jobs/?q=BATCH-054321"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
