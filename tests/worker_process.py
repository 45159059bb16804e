"""Run a real worker process on its own embedded database, for tests that need signals or processes.

    python tests/worker_process.py JOBS [run_issuance_worker options…]

Seeds JOBS passed inspections, runs `manage.py run_issuance_worker` with the options and, once the
worker has exited, prints one JSON line with the final state of every job. Point it at a (fake)
Inji Certify with INJI_MOCK_MODE=false and the INJI_* variables to control issuer latency.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agriqcert.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from certificates.models import Certificate  # noqa: E402
from issuance.models import IssuanceJob  # noqa: E402
from tests.factories import make_batch, make_inspection  # noqa: E402


def main() -> None:
    jobs, options = int(sys.argv[1]), sys.argv[2:]
    call_command("migrate", verbosity=0)
    for n in range(jobs):
        make_inspection(make_batch(f"PROC-{n:04d}"))
    try:
        call_command("run_issuance_worker", *options)
    finally:
        states = [
            {"batch": job.batch_number, "status": job.status, "attempt_count": job.attempt_count}
            for job in IssuanceJob.objects.order_by("batch_number")
        ]
        print(json.dumps({"jobs": states, "certificates": Certificate.objects.count()}), flush=True)


if __name__ == "__main__":
    main()
