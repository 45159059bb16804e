"""Shared builders for tests: documents, issued certificates, forged credentials, a worker's pass."""

from __future__ import annotations

import copy
from datetime import date, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates.models import Batch, Inspection
from core.clock import utcnow
from credentials.keys import SigningKey


def make_batch(number: str = "RICE-2026-001", **fields) -> Batch:
    values = {
        "batch_number": number,
        "exporter": "exporter",
        "exporter_name": "Green Valley Exports Pvt Ltd",
        "product": "Rice",
        "variety": "Basmati 1121",
        "hs_code": "1006.30",
        "quantity": 12500,
        "unit": "kg",
        "origin_country": "IN",
        "origin_region": "Punjab",
        "farm": "Green Valley Farm",
        "harvest_date": date.today() - timedelta(days=30),
        "destination_country": "DE",
    }
    values.update(fields)
    return Batch(**values).save()


def make_inspection(batch: Batch, outcome: str = "passed", **fields) -> Inspection:
    values = {
        "batch": batch,
        "inspector": "inspector",
        "agency": "National QA Agency",
        "inspected_at": utcnow() - timedelta(hours=1),
        "moisture_percent": 12.5,
        "pesticide_residue_mg_per_kg": 0.01,
        "foreign_matter_percent": 0.2,
        "grade": "A",
        "organic": False,
        "outcome": outcome,
    }
    values.update(fields)
    return Inspection(**values).save()


def issue_certificate(inspection: Inspection, revision: int = 0):
    """Issue and store a certificate the way the worker does, with the mock issuer."""
    from certificates.models import certificate_key
    from issuance.inji.mock import issue
    from issuance.processing import store_certificate

    key = certificate_key(inspection.pk, revision)
    issued = issue(inspection.batch, inspection, certificate_key=key)
    return store_certificate(inspection.batch, inspection, issued, certificate_key=key, revision=revision)


def run_due_jobs(issue=None) -> int:
    """Process every due job in this thread, as one worker would (no threads: SQLite-safe)."""
    from issuance import queue
    from issuance.processing import process

    done = 0
    while (job := queue.claim("test-worker", 60)) is not None:
        if issue is None:
            process(job, "test-worker")
        else:
            process(job, "test-worker", issue)
        done += 1
    return done


def forge(credential: dict, *, product: str = "FORGED") -> dict:
    """`credential` re-signed by a stranger's fresh did:key with a product of their choosing: a
    signature that verifies, from an issuer nobody trusts."""
    from credentials.proofs import sign_ed25519_2020

    stranger = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    forged = copy.deepcopy(credential)
    forged.pop("proof")
    forged.pop("credentialStatus", None)
    forged["issuer"] = stranger.did
    forged["credentialSubject"]["assessedProduct"]["product"] = product
    return sign_ed25519_2020(forged, stranger, utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))
