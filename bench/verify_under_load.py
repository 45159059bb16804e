"""Whether hostile documents knock a real server over: /healthz latency and the rate of genuine
verifications while clients send hostile documents, against a server on 127.0.0.1.

    .venv/bin/python bench/verify_under_load.py [--server serve|gunicorn] [--seconds 20]
                                                [--hostile-clients 4] [--flood]

Starts `manage.py serve` (the embedded mode: web server, issuance worker and verifying processes
in one process tree) or gunicorn with deploy/gunicorn.conf.py on a free port, with a mock issuer
key it shares with this script, which issues genuine certificates with it. Then two phases of
equal length, each with a prober asking /healthz every 50 ms and one client verifying genuine
certificates back to back (POST /api/v1/verify/, each request from a fresh X-Forwarded-For
address through the trusted local proxy, as many importers would: the rate limit does not pace
it): alone, then while N clients send hostile documents — the issue 21 attacks and the costliest
documents the first wall still lets through, in turn. Each hostile client is one address sending
as fast as the rate limit lets it through (60 a minute: the issue's "60 of these per minute",
each of which once cost up to 25 s of CPU). With --flood they send back to back from fresh
addresses instead (a botnet): then they share the machine's capacity with the genuine client,
and its rate falls with its share, whatever the isolation does.

Prints JSON: /healthz p50 and p99 in each phase, genuine verifications per second in each phase
and their ratio (targets: p99 under attack < 200 ms, ratio ≥ 0.8), and per hostile document the
answers it got and how long they took. Run it by hand: the machine's other load moves the numbers.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PROBE_EVERY = 0.05
RATE_LIMIT_PACE = 1.0  # certificates/throttling.py: 60 verifications a minute per address
MAX_REQUESTS_PER_CLIENT = 20_000  # every loop is bounded, even on a very fast machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(work: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "MOCK_ISSUER_KEY_FILE": str(work / "issuer.key"),
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "TRUSTED_PROXIES": "127.0.0.1",  # the clients below play the proxy
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "3"),
    }


def issue_genuine(env: dict[str, str], count: int) -> list[dict]:
    """Certificates signed by the key the server will trust as its own mock issuer."""
    code = (
        "import json, django; django.setup()\n"
        "from tests.factories import issue_certificate, make_batch, make_inspection\n"
        f"print(json.dumps([issue_certificate(make_inspection(make_batch(f'LOAD-{{n}}'))).credential "
        f"for n in range({count})]))\n"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "agriqcert.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_server(kind: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    if kind == "gunicorn":
        subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
        command = [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "agriqcert.wsgi"]
    else:
        command = [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"]
    with log.open("w") as output:  # a file, not a pipe nobody reads: a full pipe would stall the server
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True)
    try:
        wait_for_health(port, server, log)
    except BaseException:
        stop_server(server)  # never leave a server behind
        raise
    return server


def wait_for_health(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading the app
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 90 s")


def stop_server(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the processes it started, ours alone
    except ProcessLookupError:
        return  # all gone already
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


def hostile_documents(credential: dict) -> dict[str, object]:
    """name -> request body (or raw bytes): the issue's attacks and the costliest documents the
    first wall admits."""

    def changed(change) -> dict:
        document = copy.deepcopy(credential)
        change(document)
        return {"credential": document}

    def subject(**values):
        return lambda document: document["credentialSubject"].update(values)

    same_node = [{"id": "https://x.test/p", "product": [f"v{i}-{j}" for j in range(200)]} for i in range(20)]
    nested_context = [{"id": "https://x.test/p", "product": [f"v{i}-{j}" for j in range(100)]} for i in range(3)]
    return {
        "six objects naming six blank nodes under exporter (1.2 KB, 25 s before)": changed(
            subject(assessment=[{"exporter": [f"_:b{j}" for j in range(6)]} for _ in range(6)])
        ),
        "a control character in an altered certificate (10.7 s before)": changed(
            lambda document: document["credentialSubject"]["assessedProduct"].update(farm="Forged\x01Farm")
        ),
        "an inline context and 4,000 values on one node (24 KB, 9.7 s before)": changed(
            lambda document: (
                document["@context"].append({"x": "https://x.test/x"}),
                document["credentialSubject"].update(assessedProduct=same_node),
            )
        ),
        "a nested context and 300 values on one node (PyLD's reader, within its cap)": changed(
            subject(**{"@context": {"x": "https://x.test/x"}, "assessedProduct": nested_context})
        ),
        "eight look-alike objects of eight look-alikes": changed(
            subject(assessedProduct=[{"product": "bag", "quantity": [{"value": 1} for _ in range(8)]}] * 8)
        ),
        "an @list of 44 objects (the costliest list admitted)": changed(
            lambda document: document["credentialSubject"]["assessment"].update(
                declaredValues=[{"metricName": f"m{n}"} for n in range(44)]
            )
        ),
        "a 242 KB body": b'{"credential": {"padding": "' + b"x" * 242_000 + b'"}}',
    }


class Addresses:
    """A fresh client address per request, as a botnet (or many importers) would have."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            number = next(self._numbers)
        return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def post(session: requests.Session, url: str, body: object, address: str) -> tuple[int, float]:
    headers = {"X-Forwarded-For": address, "Content-Type": "application/json"}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    start = time.perf_counter()
    try:
        status = session.post(url, data=data, headers=headers, timeout=60).status_code
    except requests.RequestException:
        status = 0
    return status, time.perf_counter() - start


def genuine_client(base: str, credentials: list[dict], until: float, addresses: Addresses, out: dict) -> None:
    session = requests.Session()
    for n in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= until:
            break
        body = {"credential": credentials[n % len(credentials)]}
        status, seconds = post(session, f"{base}/api/v1/verify/", body, addresses.next())
        out["statuses"][status] += 1
        if status == 200:
            out["verified"] += 1
            out["seconds"].append(seconds)


def hostile_client(
    base: str, documents: dict, until: float, addresses: Addresses, out: dict, offset: int, flood: bool
) -> None:
    session = requests.Session()
    names = list(documents)
    own_address, pause = addresses.next(), threading.Event()
    for n in range(MAX_REQUESTS_PER_CLIENT):
        started = time.monotonic()
        if started >= until:
            break
        name = names[(n + offset) % len(names)]
        address = addresses.next() if flood else own_address
        status, seconds = post(session, f"{base}/api/v1/verify/", documents[name], address)
        out[name]["statuses"][status] += 1
        out[name]["seconds"].append(seconds)
        if not flood:
            pause.wait(max(0.0, started + RATE_LIMIT_PACE - time.monotonic()))


def prober(base: str, until: float, out: list) -> None:
    session = requests.Session()
    pause = threading.Event()
    for _ in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() >= until:
            break
        start = time.perf_counter()
        try:
            ok = session.get(f"{base}/healthz", timeout=30).status_code == 200
        except requests.RequestException:
            ok = False
        out.append(time.perf_counter() - start if ok else float("inf"))
        pause.wait(PROBE_EVERY)


def phase(
    base: str, seconds: float, credentials: list[dict], documents: dict, hostile_clients: int, flood: bool = False
) -> dict:
    until = time.monotonic() + seconds
    addresses = Addresses()
    genuine = {"verified": 0, "statuses": Counter(), "seconds": []}
    hostile: dict = defaultdict(lambda: {"statuses": Counter(), "seconds": []})
    probes: list[float] = []
    threads = [
        threading.Thread(target=prober, args=(base, until, probes)),
        threading.Thread(target=genuine_client, args=(base, credentials, until, addresses, genuine)),
        *(
            threading.Thread(target=hostile_client, args=(base, documents, until, addresses, hostile, n, flood))
            for n in range(hostile_clients)
        ),
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "seconds": round(elapsed, 1),
        "healthz_ms": percentiles(probes),
        "healthz_failed": sum(1 for probe in probes if probe == float("inf")),
        "genuine_per_second": round(genuine["verified"] / elapsed, 2),
        "genuine_ms": percentiles(genuine["seconds"]),
        "genuine_statuses": dict(genuine["statuses"]),
        "hostile": {
            name: {"statuses": dict(answers["statuses"]), "ms": percentiles(answers["seconds"])}
            for name, answers in hostile.items()
        },
    }


def percentiles(values: list[float]) -> dict:
    finite = sorted(value for value in values if value != float("inf"))
    if not finite:
        return {}
    p99 = finite[min(len(finite) - 1, int(len(finite) * 0.99))]
    return {"n": len(finite), "p50": round(statistics.median(finite) * 1000, 1), "p99": round(p99 * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["serve", "gunicorn"], default="serve")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--hostile-clients", type=int, default=4)
    parser.add_argument("--flood", action="store_true", help="hostile clients send back to back from fresh addresses")
    arguments = parser.parse_args()
    work, port = Path(tempfile.mkdtemp(prefix="verify-load-")), free_port()
    env = environment(work, port)
    credentials = issue_genuine(env, 5)
    documents = hostile_documents(credentials[0])
    server = start_server(arguments.server, env, port, work / "server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        phase(base, 3, credentials, {}, 0)  # warm: the verifying processes started, contexts read
        alone = phase(base, arguments.seconds, credentials, {}, 0)
        attacked = phase(base, arguments.seconds, credentials, documents, arguments.hostile_clients, arguments.flood)
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "server": arguments.server,
                "cpus": os.cpu_count(),
                "hostile_clients": arguments.hostile_clients,
                "hostile_pace": "back to back, fresh addresses"
                if arguments.flood
                else "60 a minute each, one address each",
                "genuine_rate_ratio": round(attacked["genuine_per_second"] / max(alone["genuine_per_second"], 1e-9), 2),
                "healthz_p99_ms_under_attack": attacked["healthz_ms"].get("p99"),
                "alone": alone,
                "under_attack": attacked,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
