"""Issuance worker throughput, pickup latency, DB operations per job and idle polling.

    .venv/bin/python bench/worker.py [--jobs 2000] [--latency-ms 100] [--concurrency 2 8 32]

Prints JSON. A fake Inji Certify runs in a separate process on 127.0.0.1 and answers every
credential request after a fixed latency L (it signs once and reuses that credential, so its own
CPU does not compete with the worker's). The worker runs in this process on the embedded
(mongomock) database with its real Inji client. The figure of merit is
achieved jobs/s ÷ (C ÷ L), which is 1.0 for a worker that keeps every slot busy all the time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
os.environ.setdefault("MOCK_ISSUER_KEY_FILE", str(Path(tempfile.mkdtemp()) / "bench.key"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from certificates.models import Certificate, Inspection  # noqa: E402
from core import embedded, mongo  # noqa: E402
from core.clock import utcnow  # noqa: E402
from issuance import queue  # noqa: E402
from issuance.inji import PermanentIssuerError, certify_claims  # noqa: E402
from issuance.inji.certify import CertifyClient  # noqa: E402
from issuance.inji.holder import HolderKey, did_key, generate  # noqa: E402
from issuance.models import IssuanceJob, JobStatus  # noqa: E402
from issuance.worker import Worker  # noqa: E402
from tests.factories import make_batch, make_inspection  # noqa: E402


def start_fake_inji(latency: float) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-c", f"from tests.fake_inji import serve_forever; serve_forever({latency})"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, json.loads(process.stdout.readline())


def certify_client(fake: dict) -> CertifyClient:
    key = generate("ES256")
    holder = HolderKey(key, "ES256", did_key(key))
    return CertifyClient(fake["url"], issuer_did=fake["did"], configuration_id="AgriQualityCertificate", holder=holder)


def fresh_database() -> None:
    mongo.connect()


def seed(jobs: int) -> None:
    batch = make_batch("BENCH-0")
    inspected_at = utcnow()  # identical claims, so the fake signs once and the client still checks them
    inspections = [
        Inspection(
            batch=batch,
            inspector="i",
            agency="A",
            inspected_at=inspected_at,
            moisture_percent=12,
            pesticide_residue_mg_per_kg=0,
            outcome="failed",
        ).save()
        for _ in range(jobs)
    ]
    for inspection in inspections:  # skip the hook's per-save work: seed the queue directly
        queue.enqueue(inspection, trigger="command")
    Inspection.objects.update(set__outcome="passed")


def throughput(fake: dict, concurrency: int, jobs: int, latency: float) -> dict:
    fresh_database()
    seed(jobs)
    client = certify_client(fake)

    def issue(batch, inspection, *, certificate_key):
        return client.issue(certify_claims(batch, inspection), certificate_key=certificate_key)

    worker = Worker(issue=issue, concurrency=concurrency, poll_interval_ms=3000)
    start = time.perf_counter()
    summary = worker.run(once=True)
    elapsed = time.perf_counter() - start
    assert summary["success"] == jobs, summary
    assert Certificate.objects.count() == jobs
    achieved = jobs / elapsed
    ideal = concurrency / latency
    durations = [
        (job.finished_at - job.started_at).total_seconds()
        for job in IssuanceJob.objects.only("started_at", "finished_at")
    ]
    mean_job = sum(durations) / len(durations)
    return {
        "concurrency": concurrency,
        "jobs": jobs,
        "seconds": round(elapsed, 2),
        "jobs_per_second": round(achieved, 1),
        "ideal_jobs_per_second": round(ideal, 1),
        "ratio": round(achieved / ideal, 3),
        # How long a job held its slot (claim → finished), and how busy the slots were: a
        # utilisation near 1 means the loop kept every slot full and the time went into the jobs.
        "mean_job_ms": round(mean_job * 1000, 1),
        "slot_utilisation": round(jobs * mean_job / (concurrency * elapsed), 3),
    }


def pickup_latency(poll_ms: int, samples: int, wake: bool) -> dict:
    """Enqueue → claimed, with an idle worker. Without `wake` the job is inserted as another
    process would (no in-process wake-up), so only polling finds it."""
    fresh_database()
    batch = make_batch("PICKUP-0")
    inspection = Inspection(
        batch=batch, inspector="i", agency="A", moisture_percent=12, pesticide_residue_mg_per_kg=0, outcome="failed"
    ).save()
    Inspection.objects.update(set__outcome="passed")
    release = threading.Event()

    def held(batch, inspection, *, certificate_key):
        release.wait(30)
        raise PermanentIssuerError("benchmark job: gives up so it is never retried")

    worker = Worker(issue=held, concurrency=1, poll_interval_ms=poll_ms)
    thread = worker.start_in_background()
    if not wake:
        queue.remove_listener(worker.wake)
    time.sleep(poll_ms / 1000 * 1.5)
    delays = []
    for n in range(samples):
        time.sleep((poll_ms / 1000) * ((n * 0.37) % 1))  # land at varied points of the poll cycle
        enqueued = utcnow()
        if wake:
            job = queue.enqueue(inspection, trigger="api", revision=n + 1).job
        else:
            job = IssuanceJob(
                dedupe_key=f"pickup:{n}",
                batch_id=batch.pk,
                batch_number=batch.batch_number,
                inspection_id=inspection.pk,
                revision=n + 1,
                trigger="api",
                attempts_left=3,
                next_attempt_at=enqueued,
                created_at=enqueued,
            ).save(force_insert=True)
        while IssuanceJob.objects(pk=job.pk, status=JobStatus.PROCESSING).count() == 0:
            time.sleep(0.001)
        started = IssuanceJob.objects.get(pk=job.pk).started_at
        delays.append((started - enqueued).total_seconds() * 1000)
        release.set()
        while worker.active_count():
            time.sleep(0.001)
        release.clear()
    worker.stop()
    release.set()
    thread.join(10)
    delays.sort()
    return {
        "poll_interval_ms": poll_ms,
        "in_process_wake_up": wake,
        "samples": samples,
        "p50_ms": round(statistics.median(delays), 1),
        "p99_ms": round(delays[min(len(delays) - 1, int(len(delays) * 0.99))], 1),
        "p50_target_ms": 50 if wake else poll_ms / 2 + 20,
    }


DATA_OPERATIONS = {
    "find",
    "find_one",
    "find_one_and_update",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "count_documents",
    "aggregate",
}


class CountingOps:
    """Counts MongoDB round trips on the embedded client (calls of collection data methods)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._original = embedded._Locked.__getattr__
        self._original_claim = embedded._Locked.find_one_and_update

    def __enter__(self) -> CountingOps:
        original, counts = self._original, self.counts

        def counting(proxy, name):
            attribute = original(proxy, name)
            if name in DATA_OPERATIONS and type(object.__getattribute__(proxy, "_target")).__name__ == "Collection":
                counts[name] += 1
            return attribute

        def counting_claim(proxy, *args, **kwargs):
            counts["find_one_and_update"] += 1
            return self._original_claim(proxy, *args, **kwargs)

        embedded._Locked.__getattr__ = counting
        embedded._Locked.find_one_and_update = counting_claim
        return self

    def __exit__(self, *exc: object) -> None:
        embedded._Locked.__getattr__ = self._original
        embedded._Locked.find_one_and_update = self._original_claim


def db_ops_per_job(fake: dict, jobs: int = 50) -> dict:
    fresh_database()
    for n in range(jobs):
        make_inspection(make_batch(f"OPS-{n}"))
    client = certify_client(fake)
    client.endpoints()

    def issue(batch, inspection, *, certificate_key):
        return client.issue(certify_claims(batch, inspection), certificate_key=certificate_key)

    worker = Worker(issue=issue, concurrency=1, poll_interval_ms=3000)
    with CountingOps() as ops:
        worker.run(once=True)
    # Subtract what runs once per worker (index creation, heartbeats, the final empty claim).
    per_job = {name: round(count / jobs, 2) for name, count in sorted(ops.counts.items()) if count >= jobs}
    return {"jobs": jobs, "operations_per_job": round(sum(per_job.values()), 1), "by_operation": per_job}


def idle_polls_per_minute(seconds: float = 30.0) -> dict:
    fresh_database()
    worker = Worker(poll_interval_ms=settings.WORKER_POLL_INTERVAL_MS)
    thread = worker.start_in_background()
    time.sleep(1)  # start-up (index creation, first heartbeat) is not idling
    polls_before = worker.polls
    with CountingOps() as ops:
        time.sleep(seconds)
    worker.stop()
    thread.join(10)
    worker.polls -= polls_before
    return {
        "poll_interval_ms": settings.WORKER_POLL_INTERVAL_MS,
        "claims_per_minute": round(worker.polls * 60 / seconds, 1),
        "all_db_operations_per_minute": round(sum(ops.counts.values()) * 60 / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--pickup-samples", type=int, default=40)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["throughput", "pickup", "dbops", "idle"],
        default=["throughput", "pickup", "dbops", "idle"],
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    call_command("migrate", verbosity=0)
    process, fake = start_fake_inji(latency)
    results: dict = {"issuer_latency_ms": args.latency_ms}
    sections = {
        "throughput": lambda: [progress(throughput(fake, c, args.jobs, latency)) for c in args.concurrency],
        "pickup": lambda: [
            progress(pickup_latency(1000, args.pickup_samples, wake=False)),
            progress(pickup_latency(1000, args.pickup_samples, wake=True)),
        ],
        "dbops": lambda: progress(db_ops_per_job(fake)),
        "idle": lambda: progress(idle_polls_per_minute()),
    }
    try:
        for name in args.only:
            results[name] = sections[name]()
    finally:
        process.kill()
    print(json.dumps(results, indent=2))


def progress(result: dict) -> dict:
    """Each measurement as it finishes, on stderr (a long run still shows what it measured)."""
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


if __name__ == "__main__":
    main()
