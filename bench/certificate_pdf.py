"""CPU cost of drawing the printable certificate (certificates/pdf.py), in Latin only and in many
scripts at once (Arabic and Hebrew mixed with Latin, Chinese, Japanese, Korean, Devanagari, emoji).

    .venv/bin/python bench/certificate_pdf.py [--drawings 20]

The first drawing of each certificate includes reading its fonts (each is read once per process);
the next `--drawings` are timed apart and averaged. Prints JSON: CPU milliseconds for the first
drawing and per later drawing, and the PDF's size.
"""

from __future__ import annotations

import argparse
import json
import time

from standalone import start_django  # bench/ is on the path when a bench runs

start_django(EMBEDDED_WORKER="false")

from django.core.management import call_command  # noqa: E402

from certificates.pdf import certificate_pdf  # noqa: E402
from tests.factories import issue_certificate, make_batch, make_inspection  # noqa: E402

MANY_SCRIPTS = {
    "batch": {
        "exporter_name": "مزرعة النخيل 12 Ltd",
        "product": "有機バスマティ米",
        "variety": "שדה ירוק (7) Basmati",
    },
    "inspection": {"agency": "हिमालय गुणवत्ता 한", "grade": "A+ 🌟"},
}


def cpu_ms(certificate) -> tuple[float, int]:
    started = time.process_time()
    document = certificate_pdf(certificate, issuer_label="Bench issuer", verify_url="https://x.example/verify/")
    return (time.process_time() - started) * 1000, len(document)


def measure(certificate, drawings: int) -> dict:
    first, _ = cpu_ms(certificate)
    later = [cpu_ms(certificate) for _ in range(drawings)]
    return {
        "first_drawing_cpu_ms": round(first, 1),
        "later_drawing_cpu_ms": round(sum(ms for ms, _ in later) / drawings, 1),
        "pdf_bytes": later[-1][1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drawings", type=int, default=20)
    arguments = parser.parse_args()
    call_command("migrate", verbosity=0)
    latin = issue_certificate(make_inspection(make_batch("BENCH-LATIN")))
    many = issue_certificate(
        make_inspection(make_batch("BENCH-SCRIPTS", **MANY_SCRIPTS["batch"]), **MANY_SCRIPTS["inspection"])
    )
    results = {"latin": measure(latin, arguments.drawings), "many_scripts": measure(many, arguments.drawings)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
