"""The worst time and memory each hostile input costs public verification, next to a normal one.

    .venv/bin/python bench/verify_abuse.py

Each input goes through what the public verify endpoint does with it (parse, bound, verify) in a
fresh process of its own, so the peak resident memory reported is that input's alone; the
verification runs in that process (VERIFY_PROCESSES=0), so the time is the work the first wall
lets through. bench/verify_under_load.py measures a server, its verifying processes included,
under attack. Prints JSON.
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

    def changed(change) -> dict:
        document = json.loads(json.dumps(credential))
        change(document, document.get("credentialSubject", {}))
        return {"credential": document}

    same_node = [{"id": "https://x.test/p", "product": [f"v{i}-{j}" for j in range(200)]} for i in range(20)]
    return {
        "normal certificate": {"credential": credential},
        "normal certificate as QR text": {"qr": qr(cbor2.dumps(credential))},
        "8 interlinked blank nodes": {"credential": interlinked},
        "six objects naming six blank nodes under exporter (@type: @id)": changed(
            lambda _, subject: subject.update(assessment=[{"exporter": [f"_:b{j}" for j in range(6)]}] * 6)
        ),
        "eight look-alike objects of eight look-alikes": changed(
            lambda _, subject: subject.update(assessedProduct=[{"quantity": [{"value": 1}] * 8}] * 8)
        ),
        "an @list of 200 objects": changed(
            lambda _, subject: subject.update(
                assessment={"declaredValues": [{"metricName": f"m{n}"} for n in range(200)]}
            )
        ),
        "a control character in an altered certificate": changed(
            lambda _, subject: subject.update(assessedProduct={**subject.get("assessedProduct", {}), "farm": "x\x01y"})
        ),
        "an inline context and 4,000 values on one node": changed(
            lambda document, subject: (
                document.update({"@context": [*document.get("@context", []), {"x": "https://x.test/x"}]}),
                subject.update(assessedProduct=same_node),
            )
        ),
        "a nested context and 4,000 values on one node": changed(
            lambda _, subject: subject.update({"@context": {"x": "https://x.test/x"}, "assessedProduct": same_node})
        ),
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
    os.environ["VERIFY_PROCESSES"] = "0"
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
