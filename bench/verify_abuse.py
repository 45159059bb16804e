"""The worst time and memory each hostile input costs public verification, next to a normal one.

    .venv/bin/python bench/verify_abuse.py

Each input goes through what the public verify endpoint does with it (parse, bound, verify) in a
fresh process of its own, so the peak resident memory reported is that input's alone. Prints JSON.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def hostile_inputs(credential: dict) -> dict[str, dict]:
    """name -> {"credential": …}, {"qr": …} or {"text": …}, as a stranger would post them."""
    import base45
    import cbor2

    def qr(payload: bytes) -> str:
        return base45.b45encode(zlib.compress(payload, 9)).decode()

    interlinked = json.loads(json.dumps(credential))
    interlinked["credentialSubject"]["@id"] = "_:b0"
    interlinked["credentialSubject"]["assessedProduct"] = [
        {"@id": f"_:b{i}", "exporter": [{"@id": f"_:b{j}"} for j in range(8) if j != i]} for i in range(8)
    ]
    long_proof = json.loads(json.dumps(credential))
    long_proof["proof"]["proofValue"] = "z" + "3" * 200_000
    return {
        "normal certificate": {"credential": credential},
        "normal certificate as QR text": {"qr": qr(cbor2.dumps(credential))},
        "8 interlinked blank nodes": {"credential": interlinked},
        "200 KB proofValue": {"credential": long_proof},
        "CBOR value sharing": {"qr": qr(bytes([0xD8, 0x1C, 0x81, 0xD8, 0x1D, 0x00]))},
        "CBOR bignum 2^5000": {"qr": qr(cbor2.dumps(2**5000))},
        "CBOR nested 60k deep": {"qr": qr(bytes([0x81]) * 60_000 + bytes([0xA0]))},
        "zlib bomb (2.5 MB of zeros)": {"qr": qr(b"\0" * 2_500_000)},
        "JSON nested 30k deep": {"text": "[" * 30_000 + "]" * 30_000},
    }


def verify_as_the_api_does(body: dict) -> str:
    from certificates.trust import verify
    from credentials.limits import UnreadableCredential, check_document, parse_json
    from credentials.qr import decode_pixelpass

    try:
        if "qr" in body:
            document = decode_pixelpass(body["qr"])
        elif "text" in body:
            document = parse_json(body["text"])
        else:
            document = body["credential"]
            check_document(document)
        return "valid" if verify(document).valid else "not valid"
    except UnreadableCredential as exc:
        return f"refused: {exc}"


def child(name: str) -> dict:
    """In a fresh process: issue a certificate, then time what the API does with the input."""
    from tests.factories import issue_certificate, make_batch, make_inspection

    credential = issue_certificate(make_inspection(make_batch("BENCH-1"))).credential
    inputs = hostile_inputs(credential)
    verify_as_the_api_does(inputs["normal certificate"])  # warm: contexts and keys loaded, as in a server
    start = time.perf_counter()
    outcome = verify_as_the_api_does(inputs[name])
    return {
        "input": name,
        "outcome": outcome[:120],
        "seconds": round(time.perf_counter() - start, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")
    os.environ.setdefault("MOCK_ISSUER_KEY_FILE", str(Path(tempfile.mkdtemp()) / "bench.key"))
    import django

    django.setup()


def main() -> None:
    names = list(hostile_inputs({"credentialSubject": {}, "proof": {}}))
    rows = []
    for name in names:
        result = subprocess.run(
            [sys.executable, __file__, "--child", name], capture_output=True, text=True, timeout=600
        )
        lines = result.stdout.strip().splitlines()
        rows.append(
            json.loads(lines[-1])
            if result.returncode == 0 and lines
            else {"input": name, "error": result.stderr[-300:]}
        )
    measured = [row for row in rows if "seconds" in row]
    hostile = [row for row in measured if not row["input"].startswith("normal")]
    normal = next(row for row in measured if row["input"] == "normal certificate")
    print(
        json.dumps(
            {
                "inputs": rows,
                "normal_seconds": normal["seconds"],
                "worst_hostile_seconds": max(row["seconds"] for row in hostile),
                "worst_hostile_over_normal": round(max(row["seconds"] for row in hostile) / normal["seconds"], 2),
                "normal_peak_rss_mb": normal["peak_rss_mb"],
                "worst_hostile_peak_rss_mb": max(row["peak_rss_mb"] for row in hostile),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        setup_django()
        print(json.dumps(child(sys.argv[2])))
    else:
        main()
