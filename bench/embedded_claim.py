"""The embedded store's claim as finished jobs pile up (they are kept 30 days).

    .venv/bin/python bench/embedded_claim.py [--finished 500 2000 8000] [--live 20]

Prints JSON: median ms per claim (claim + release) with `live` claimable jobs beside N finished
ones, and each size's ratio to the smallest (1.0 = the claim does not slow down as jobs finish).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from bson import ObjectId  # noqa: E402

from core.clock import utcnow  # noqa: E402
from issuance import queue  # noqa: E402
from issuance.models import IssuanceJob, JobStatus  # noqa: E402


def jobs(count: int, status: str) -> list[dict]:
    now = utcnow()
    return [
        {
            "_id": ObjectId(),
            "batch_id": ObjectId(),
            "batch_number": f"B-{status}-{n}",
            "inspection_id": ObjectId(),
            "dedupe_key": f"{status}-{n}",
            "status": status,
            "attempt_count": 1 if status == JobStatus.SUCCESS else 0,
            "attempts_left": 3,
            "max_attempts": 3,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
            "errors": [],
        }
        for n in range(count)
    ]


def claim_ms(finished: int, live: int, rounds: int = 200) -> float:
    collection = IssuanceJob._get_collection()
    collection.delete_many({})
    collection.insert_many(jobs(finished, JobStatus.SUCCESS) + jobs(live, JobStatus.PENDING))
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        job = queue.claim("bench", lease_seconds=60)
        samples.append((time.perf_counter() - started) * 1000)
        queue.release(job, by="")  # back in the queue for the next round
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--finished", type=int, nargs="+", default=[500, 2000, 8000])
    parser.add_argument("--live", type=int, default=20)
    args = parser.parse_args()
    results = {n: claim_ms(n, args.live) for n in args.finished}
    smallest = results[args.finished[0]]
    print(
        json.dumps(
            {
                "live_jobs": args.live,
                "claim_ms_median": {str(n): round(ms, 3) for n, ms in results.items()},
                "ratio_to_smallest": {str(n): round(ms / smallest, 2) for n, ms in results.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
