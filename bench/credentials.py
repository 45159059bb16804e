"""Credentials signed and verified per second on one core, for a realistic certificate, beside
Digital Bazaar's jsonld-signatures (Node.js) on the same certificate when Node is present.

    .venv/bin/python bench/credentials.py [--seconds 5]

Prints JSON. `sign`/`verify` are the Data Integrity proof alone (what jsonld-signatures does);
issuing adds building the credential, verifying adds trust, validity and the revocation check
(which verifies the signed status list too). A profile breakdown says where the time goes.
Target (issue 13): sign and verify at >= 1.5x jsonld-signatures' warm rate.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEPENDENT = ROOT / "tests" / "independent"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
os.environ.setdefault("MOCK_ISSUER_KEY_FILE", str(Path(tempfile.mkdtemp()) / "bench.key"))

import django  # noqa: E402

django.setup()

from certificates.credential_document import xsd_datetime  # noqa: E402
from certificates.signing import local_signing_key  # noqa: E402
from certificates.trust import verify as verify_certificate  # noqa: E402
from core.clock import utcnow  # noqa: E402
from credentials.jsonld import document_loader  # noqa: E402
from credentials.proofs import sign_ed25519_2020, verify_proof  # noqa: E402
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
        "pyoxigraph (JSON-LD to RDF + RDFC-1.0)": 0.0,
        "pyld (JSON-LD expansion + URDNA2015)": 0.0,
        "ed25519 (cryptography)": 0.0,
        "builtins (sha256, json, regex…)": 0.0,
        "mongomock": 0.0,
    }
    for (filename, _, function), (_, _, own_time, _, _) in stats.items():
        # pyoxigraph parses inside _parse (list() drains it) and canonicalises in canonical_nquads
        if "pyoxigraph" in function or function in ("canonical_nquads", "_parse"):
            buckets["pyoxigraph (JSON-LD to RDF + RDFC-1.0)"] += own_time
        elif "/pyld/" in filename:
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
    assert verify_certificate(credential).valid

    key = local_signing_key()
    unsigned = {k: v for k, v in credential.items() if k != "proof"}

    def sign() -> None:
        sign_ed25519_2020(unsigned, key, credential["proof"]["created"])

    def verify() -> None:
        verify_proof(credential, key.private_key.public_key())

    def issue_one() -> None:
        issue(batch, inspection, certificate_key="bench:0")

    def verify_full() -> None:
        verify_certificate(credential)

    ours = {
        "sign": rate(sign, args.seconds),
        "verify": rate(verify, args.seconds),
        "issue (build + sign)": rate(issue_one, args.seconds),
        "verify_credential (proof, trust, validity, revocation)": rate(verify_full, args.seconds),
    }
    theirs = jsonld_signatures_rates(credential, args.seconds)
    result = {
        "suite": "Ed25519Signature2020",
        "credential_bytes": len(json.dumps(credential)),
        "cores": 1,
        "per_second": {name: round(value, 1) for name, value in ours.items()},
        "jsonld_signatures_per_second": theirs,
        "target_ratio_to_jsonld_signatures": 1.5,
        "sign_time_share": where_time_goes(sign),
        "verify_time_share": where_time_goes(verify),
        "measured_at": xsd_datetime(utcnow()),
    }
    if theirs:
        result["ratio_to_jsonld_signatures"] = {
            "sign": round(ours["sign"] / theirs["signed_per_second"], 2),
            "verify": round(ours["verify"] / theirs["verified_per_second"], 2),
        }
    print(json.dumps(result, indent=2))


def jsonld_signatures_rates(credential: dict, seconds: float) -> dict | None:
    """Digital Bazaar's rates on the same certificate, on the same core (the affinity is inherited)."""
    node = shutil.which("node")
    if not node or not (INDEPENDENT / "node_modules").is_dir():
        return None  # run scripts/test once: it installs tests/independent's packages
    loader = document_loader()
    contexts = {url: loader(url, {})["document"] for url in [*credential["@context"], "https://www.w3.org/ns/did/v1"]}
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "credential.json").write_text(json.dumps(credential))
        (Path(folder) / "contexts.json").write_text(json.dumps(contexts))
        result = subprocess.run(
            [node, "bench.mjs", f"{folder}/credential.json", f"{folder}/contexts.json", str(seconds)],
            cwd=INDEPENDENT,
            capture_output=True,
            text=True,
            timeout=60 + 4 * seconds,
            check=True,
        )
    return {name: round(value, 1) for name, value in json.loads(result.stdout).items()}


if __name__ == "__main__":
    main()
