"""Where a process's CPU goes, by library, without a profiler's distortion.

The embedded store is measured exactly: every call into mongomock holds core.embedded's lock, and
the thread's own CPU clock is read as it takes and leaves it. The rest is sampled: a thread wakes
every millisecond, reads each thread's CPU clock and charges what the thread used since the last
sample to the library the thread is in now (the innermost frame that matches a bucket's files).
That is approximate — a burst of work is charged to where the thread then waits — so the other
buckets are indicative; `total` (the process's CPU) and `store` are exact, and so is their
difference, `outside_store`. The sampler's own CPU is measured and left out.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter

from core import embedded

# (bucket, fragments of file paths); the innermost matching frame of a thread decides.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("store", ("/mongomock/", "/core/embedded.py")),
    ("odm", ("/mongoengine/", "/bson/")),
    (
        "signing",
        ("/credentials/jsonld.py", "/credentials/proofs.py", "/pyld/", "/cryptography/", "/jwt/", "/inji/holder.py"),
    ),
    ("http", ("/requests/", "/urllib3/", "/http/client.py", "/socket.py", "/ssl.py", "/email/")),
    ("sql", ("/django/db/",)),
]


def bucket_of(frame) -> str:
    while frame is not None:
        filename = frame.f_code.co_filename
        for bucket, fragments in BUCKETS:
            if any(fragment in filename for fragment in fragments):
                return bucket
        frame = frame.f_back
    return "rest"


class StoreClock:
    """Stands in for core.embedded's lock: the same lock, and the CPU each thread spends holding it."""

    def __init__(self) -> None:
        self.lock = embedded.EMBEDDED_LOCK
        self.seconds = 0.0
        self._held = threading.local()
        self._sum = threading.Lock()

    def __enter__(self) -> None:
        self.lock.acquire()
        depth = getattr(self._held, "depth", 0)
        if depth == 0:
            self._held.since = time.thread_time()
        self._held.depth = depth + 1

    def __exit__(self, *exc: object) -> None:
        self._held.depth -= 1
        if self._held.depth == 0:
            used = time.thread_time() - self._held.since
            with self._sum:
                self.seconds += used
        self.lock.release()


class CpuSampler:
    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.seconds: Counter[str] = Counter()
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._own = 0.0
        self._process_start = 0.0
        self.process_seconds = 0.0

    def __enter__(self) -> CpuSampler:
        self._store = StoreClock()
        embedded.EMBEDDED_LOCK = self._store
        self._process_start = time.process_time()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.process_seconds = time.process_time() - self._process_start - self._own
        embedded.EMBEDDED_LOCK = self._store.lock

    def _run(self) -> None:
        me = threading.get_ident()
        own_start = time.thread_time()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                try:
                    now = time.clock_gettime(time.pthread_getcpuclockid(ident))
                except OSError:  # the thread ended
                    self._last.pop(ident, None)
                    continue
                used = now - self._last.get(ident, now)
                self._last[ident] = now
                bucket = bucket_of(frame)
                if used > 0 and bucket != "store":  # the store's CPU is counted exactly
                    self.seconds[bucket] += used
        self._own = time.thread_time() - own_start

    def per_job_ms(self, jobs: int) -> dict[str, float]:
        """Milliseconds of CPU per job in each bucket; `rest` is what no bucket's files account for,
        including threads too short-lived to be sampled; `total` is the whole process."""
        charged = {name: self.seconds.get(name, 0.0) for name, _ in BUCKETS}
        charged["store"] = self._store.seconds
        charged["rest"] = self.process_seconds - sum(charged.values())
        result = {name: round(value * 1000 / jobs, 2) for name, value in charged.items()}
        result["total"] = round(self.process_seconds * 1000 / jobs, 2)
        result["outside_store"] = round((self.process_seconds - charged["store"]) * 1000 / jobs, 2)
        return result
