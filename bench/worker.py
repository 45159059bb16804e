"""Issuance worker throughput, the CPU a job costs, pickup latency, DB operations per job and idle polling.

    .venv/bin/python bench/worker.py [--jobs 1000] [--latency-ms 100] [--concurrency 2 8 32] [--flow inji mock]

Prints JSON. The worker runs in this process on the embedded (mongomock) database, one process,
C job slots, for two flows:

- `inji`: its real Inji Certify client against the fake Inji Certify (tests/fake_inji.py) in a
  separate process on 127.0.0.1, which answers every request after L; a job makes R requests
  (push the claims, the offer, the token, the credential), so a slot can do at best 1 ÷ (R × L)
  jobs a second.
- `mock`: the local mock issuer (it signs), after waiting L as an issuer would, so 1 ÷ L per slot.

`processes` runs mock-flow jobs through `run_issuance_worker --processes 1` and `2` on a real
MongoDB named by MONGODB_BENCH_URI (its database must end in _bench; it is emptied).

The figure of merit is the ratio achieved jobs/s ÷ ideal, 1.0 for a worker that keeps every slot
busy all the time. Targets (issue 13): >= 0.9 at C = 8 and >= 0.6 at C = 32. CPU per job is split
by library (bench/cpu_buckets.py): store (mongomock, which MongoDB replaces), odm (MongoEngine),
signing (canonicalisation, Ed25519, the holder's JWT), http (requests), sql (Django's database)
and the rest. Targets: CPU per job outside the store <= 3 ms (inji) and <= 4 ms (mock). One process
can do at most 1000 ÷ CPU-ms-per-job jobs a second whatever C is; `--processes` lifts that.
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
import mongoengine  # noqa: E402
import requests  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench.cpu_buckets import CpuSampler  # noqa: E402
from certificates.models import Certificate, Inspection  # noqa: E402
from core import embedded, mongo  # noqa: E402
from core.clock import utcnow  # noqa: E402
from issuance import queue  # noqa: E402
from issuance.inji import PermanentIssuerError, certify_claims  # noqa: E402
from issuance.inji.certify import CertifyClient  # noqa: E402
from issuance.inji.holder import HolderKey, did_key, generate  # noqa: E402
from issuance.inji.mock import issue as mock_issue  # noqa: E402
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
    """One batch per job, as in real use (a second certificate for a batch would supersede, and
    so revoke, the first: work a job does not normally do)."""
    inspected_at = utcnow()
    inspections = [
        Inspection(
            batch=make_batch(f"BENCH-{n}"),
            inspector="i",
            agency="A",
            inspected_at=inspected_at,
            moisture_percent=12,
            pesticide_residue_mg_per_kg=0,
            outcome="failed",
        ).save()
        for n in range(jobs)
    ]
    for inspection in inspections:  # skip the hook's per-save work: seed the queue directly
        queue.enqueue(inspection, trigger="command")
    Inspection.objects.update(set__outcome="passed")


def throughput(fake: dict, flow: str, concurrency: int, jobs: int, latency: float) -> dict:
    fresh_database()
    seed(jobs)
    if flow == "inji":
        client = certify_client(fake)
        client.endpoints()  # discovered once per worker, not per job

        def issue(batch, inspection, *, certificate_key, received=None):
            return client.issue(certify_claims(batch, inspection), certificate_key=certificate_key, received=received)
    else:

        def issue(batch, inspection, *, certificate_key, received=None):
            time.sleep(latency)  # the issuer's answer, without its CPU
            return mock_issue(batch, inspection, certificate_key=certificate_key)

    worker = Worker(issue=issue, concurrency=concurrency, poll_interval_ms=3000)
    with CountingRequests() as requests_made, CpuSampler() as cpu:
        start = time.perf_counter()
        summary = worker.run(once=True)
        elapsed = time.perf_counter() - start
    assert summary["success"] == jobs, summary
    assert Certificate.objects.count() == jobs
    requests_per_job = requests_made.count / jobs if flow == "inji" else 1
    achieved = jobs / elapsed
    ideal = concurrency / (requests_per_job * latency)
    cpu_ms = cpu.per_job_ms(jobs)
    return {
        "flow": flow,
        "concurrency": concurrency,
        "jobs": jobs,
        "issuer_requests_per_job": round(requests_per_job, 2),
        "seconds": round(elapsed, 2),
        "jobs_per_second": round(achieved, 1),
        "ideal_jobs_per_second": round(ideal, 1),
        "ratio": round(achieved / ideal, 3),
        "cpu_ms_per_job": cpu_ms,
        "one_process_ceiling_jobs_per_second": round(1000 / cpu_ms["total"], 1),
    }


class CountingRequests:
    """Counts the HTTP requests the Inji client makes."""

    def __init__(self) -> None:
        self.count = 0
        self._original = requests.Session.request

    def __enter__(self) -> CountingRequests:
        original = self._original

        def counting(session, *args, **kwargs):
            self.count += 1
            return original(session, *args, **kwargs)

        requests.Session.request = counting
        return self

    def __exit__(self, *exc: object) -> None:
        requests.Session.request = self._original


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

    def held(batch, inspection, *, certificate_key, received=None):
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
                max_attempts=3,
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
        self._original_aggregate = embedded._Locked.aggregate

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

        def counting_aggregate(proxy, *args, **kwargs):
            counts["aggregate"] += 1
            return self._original_aggregate(proxy, *args, **kwargs)

        embedded._Locked.__getattr__ = counting
        embedded._Locked.find_one_and_update = counting_claim
        embedded._Locked.aggregate = counting_aggregate
        return self

    def __exit__(self, *exc: object) -> None:
        embedded._Locked.__getattr__ = self._original
        embedded._Locked.find_one_and_update = self._original_claim
        embedded._Locked.aggregate = self._original_aggregate


def db_ops_per_job(fake: dict, jobs: int = 50) -> dict:
    fresh_database()
    for n in range(jobs):
        make_inspection(make_batch(f"OPS-{n}"))
    client = certify_client(fake)
    client.endpoints()

    def issue(batch, inspection, *, certificate_key, received=None):
        return client.issue(certify_claims(batch, inspection), certificate_key=certificate_key, received=received)

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
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--flow", nargs="+", choices=["inji", "mock"], default=["inji", "mock"])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--pickup-samples", type=int, default=40)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["throughput", "pickup", "dbops", "idle", "processes"],
        default=["throughput", "pickup", "dbops", "idle", "processes"],
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    call_command("migrate", verbosity=0)
    process, fake = start_fake_inji(latency)
    results: dict = {"issuer_latency_ms": args.latency_ms}
    sections = {
        "throughput": lambda: [
            progress(throughput(fake, flow, c, args.jobs, latency)) for flow in args.flow for c in args.concurrency
        ],
        "pickup": lambda: [
            progress(pickup_latency(1000, args.pickup_samples, wake=False)),
            progress(pickup_latency(1000, args.pickup_samples, wake=True)),
        ],
        "dbops": lambda: progress(db_ops_per_job(fake)),
        "idle": lambda: progress(idle_polls_per_minute()),
        "processes": lambda: [progress(result) for result in processes(args.jobs, max(args.concurrency))],
    }
    try:
        for name in args.only:
            results[name] = sections[name]()
    finally:
        process.kill()
    print(json.dumps(results, indent=2))


def processes(jobs: int, concurrency: int) -> list[dict]:
    """Mock-flow jobs through `run_issuance_worker --processes P --once` for P = 1 and 2, on a real
    MongoDB (processes cannot share the embedded store): MONGODB_BENCH_URI, whose database name
    must end in _bench — it is emptied."""
    uri = os.environ.get("MONGODB_BENCH_URI", "")
    if not uri:
        return [
            {"skipped": "set MONGODB_BENCH_URI=mongodb://host/agriqcert_bench (worker processes need a real server)"}
        ]
    from core.environment import mongodb_database_name

    if not mongodb_database_name("MONGODB_BENCH_URI", uri).endswith("_bench"):
        raise SystemExit("MONGODB_BENCH_URI's database name must end in _bench: the benchmark empties it")
    env = {
        **os.environ,
        "MONGODB_URI": uri,
        "INJI_MOCK_MODE": "true",
        "DEBUG": "true",  # a benchmark, not a deployment: no public SITE_URL needed
        "LOG_LEVEL": "WARNING",
    }
    results = []
    for count in (1, 2):
        mongo.connect(uri)
        db = mongoengine.get_db()
        for name in db.list_collection_names():
            if not name.startswith("system."):
                db[name].delete_many({})
        subprocess.run(
            [sys.executable, "manage.py", "ensure_indexes"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        seed(jobs)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "run_issuance_worker", "--once", "--processes", str(count),
             "--concurrency", str(concurrency)],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        done = IssuanceJob.objects(status=JobStatus.SUCCESS).count()
        results.append(
            {"processes": count, "concurrency": concurrency, "jobs": jobs, "succeeded": done,
             "seconds": round(elapsed, 2), "jobs_per_second": round(done / elapsed, 1)}
        )  # fmt: skip
    if len(results) == 2 and results[0]["jobs_per_second"]:
        results[1]["ratio_to_one_process"] = round(results[1]["jobs_per_second"] / results[0]["jobs_per_second"], 2)
    return results


def progress(result: dict) -> dict:
    """Each measurement as it finishes, on stderr (a long run still shows what it measured)."""
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


if __name__ == "__main__":
    main()
