"""Credentials signed and verified per second on one core, for a realistic certificate.

    .venv/bin/python bench/credentials.py [--seconds 5]

Prints JSON. Verification is measured with and without the revocation check (which verifies the
signed status list too), and a profile breakdown says where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
os.environ.setdefault("MOCK_ISSUER_KEY_FILE", str(Path(tempfile.mkdtemp()) / "bench.key"))

import django  # noqa: E402

django.setup()

from certificates.credentials import xsd_datetime  # noqa: E402
from certificates.verification import verify_credential  # noqa: E402
from core.clock import utcnow  # noqa: E402
from issuance.inji.mock import issue  # noqa: E402
from tests.factories import make_batch, make_inspection  # noqa: E402


def rate(function, seconds: float) -> float:
    function()  # warm caches (contexts, key)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        function()
        count += 1
    return count / (time.perf_counter() - start)


def where_time_goes(function, repeat: int = 50) -> dict[str, float]:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        function()
    profile.disable()
    stats = pstats.Stats(profile).stats
    total = sum(value[2] for value in stats.values())
    buckets = {
        "pyld (JSON-LD expansion + URDNA2015)": 0.0,
        "ed25519 (cryptography)": 0.0,
        "builtins (sha256, json, regex…)": 0.0,
        "mongomock": 0.0,
    }
    for (filename, _, _), (_, _, own_time, _, _) in stats.items():
        if "/pyld/" in filename:
            buckets["pyld (JSON-LD expansion + URDNA2015)"] += own_time
        elif "/cryptography/" in filename:
            buckets["ed25519 (cryptography)"] += own_time
        elif filename == "~":
            buckets["builtins (sha256, json, regex…)"] += own_time
        elif "/mongomock/" in filename or "/mongoengine/" in filename:
            buckets["mongomock"] += own_time
    buckets["other"] = total - sum(buckets.values())
    return {name: round(value / total, 3) for name, value in buckets.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    from core import mongo

    mongo.connect()
    batch = make_batch("BENCH-1")
    inspection = make_inspection(batch)
    credential = issue(batch, inspection, certificate_key="bench:0").document
    assert verify_credential(credential).valid

    def sign_one():
        issue(batch, inspection, certificate_key="bench:0")

    without_status = {k: v for k, v in credential.items() if k != "credentialStatus"}

    def verify_without_status():
        # The signature no longer matches without the status entry; the work done is the same.
        verify_credential(without_status)

    def verify_full():
        verify_credential(credential)

    signed = rate(sign_one, args.seconds)
    verified = rate(verify_without_status, args.seconds)
    verified_full = rate(verify_full, args.seconds)
    print(
        json.dumps(
            {
                "suite": "Ed25519Signature2020",
                "credential_bytes": len(json.dumps(credential)),
                "cores": 1,
                "signed_per_second": round(signed, 1),
                "verified_per_second_signature_issuer_validity": round(verified, 1),
                "verified_per_second_including_revocation": round(verified_full, 1),
                "target_per_second": 100,
                "sign_ratio_to_target": round(signed / 100, 2),
                "verify_ratio_to_target": round(verified / 100, 2),
                "sign_time_share": where_time_goes(sign_one),
                "verify_time_share": where_time_goes(verify_without_status),
                "revocation_check_ms": round(1000 * (1 / verified_full - 1 / verified), 2),
                "measured_at": xsd_datetime(utcnow()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
