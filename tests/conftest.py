"""Shared fixtures: a fresh MongoDB for every test, named actors, demo documents.

Tests run on embedded mongomock; set MONGODB_TEST_URI=mongodb://host/agriqcert_test to run the
same suite against a real server (each test then starts from empty collections).
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import mongoengine
import pytest

from agriqcert import mongo
from agriqcert.clock import utcnow
from certificates.models import Batch, Inspection

MONGODB_TEST_URI = os.environ.get("MONGODB_TEST_URI", "")


@pytest.fixture(autouse=True)
def mongodb():
    mongo.connect(MONGODB_TEST_URI, "agriqcert_test")
    if MONGODB_TEST_URI:
        db = mongoengine.get_db()
        for name in db.list_collection_names():
            db.drop_collection(name)
        mongo.ensure_indexes()
    yield mongoengine.get_db()
    mongoengine.disconnect()


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


@pytest.fixture
def batch() -> Batch:
    return make_batch()
