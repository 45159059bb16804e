"""Concurrent jobs sign and verify credentials at once (the worker runs jobs in threads).

Canonicalisation goes through pyoxigraph for these credentials; run again through PyLD (as for
a credential with an inline context), this is the test of credentials/pyld_threads.py: without it,
PyLD's shared context caches break ("KeyError", "jsonld.NormalizeError") when threads interleave.
"""

from __future__ import annotations

import sys
import threading

import pytest

from certificates.trust import verify
from credentials import jsonld
from issuance.inji.mock import issue
from tests.factories import make_batch, make_inspection


@pytest.fixture(autouse=True)
def threads_switch_often():
    """Switch threads every 10 µs instead of every 5 ms, so they interleave inside PyLD's caches."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


@pytest.fixture(params=["pyoxigraph", "pyld"])
def canonicalisation(request, monkeypatch):
    if request.param == "pyld":
        monkeypatch.setattr(jsonld, "_contexts_of", lambda document: None)
    return request.param


def test_credentials_signed_and_verified_from_many_threads_all_verify(canonicalisation):
    inspections = [make_inspection(make_batch(f"T-{n}", variety=f"Variety {n}")) for n in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(inspections))

    def sign_and_verify(inspection) -> None:
        start.wait()
        try:
            for round_ in range(40):
                issued = issue(inspection.batch, inspection, certificate_key=f"{inspection.pk}:{round_}")
                assert verify(issued.document).valid
        except BaseException as exc:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(exc)

    threads = [threading.Thread(target=sign_and_verify, args=(i,)) for i in inspections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
