"""An inspection is dated when it is recorded: that date is signed as the assessment date.

An inspector once dated an inspection 1970 through the API. Now the API refuses any inspected_at
unless the deployment allows backdating (INSPECTION_BACKDATING_DAYS), and then only within that
many days, not before the batch was submitted and not in the future (beyond a few minutes' skew).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.test import Client

from certificates.models import Batch, Inspection
from core.clock import utcnow
from issuance.models import IssuanceJob
from tests.commands import manage
from tests.factories import make_batch

pytestmark = pytest.mark.django_db

READINGS = {"moisture_percent": 12.1, "pesticide_residue_mg_per_kg": 0.02, "grade": "A", "outcome": "passed"}


def submitted_days_ago(days: float) -> Batch:
    batch = make_batch("RICE-1")
    Batch.objects(pk=batch.pk).update_one(set__created_at=utcnow() - timedelta(days=days))
    return batch.reload()


def inspect_via_api(api, when=None):
    body = READINGS if when is None else {**READINGS, "inspected_at": when.isoformat().replace("+00:00", "Z")}
    return api["qa"].post("/api/v1/batches/RICE-1/inspections/", body, format="json")


def test_without_backdating_the_api_dates_an_inspection_now(api):
    submitted_days_ago(1)
    before = utcnow()

    response = inspect_via_api(api)

    assert response.status_code == 201
    assert before <= Inspection.objects.get().inspected_at <= utcnow()


@pytest.mark.parametrize("when", ["1970-01-01T00:00:00Z", "now", "2999-01-01T00:00:00Z"])
def test_without_backdating_the_api_refuses_any_inspected_at_and_saves_nothing(api, when):
    submitted_days_ago(1)
    when = utcnow().isoformat() if when == "now" else when

    response = api["qa"].post("/api/v1/batches/RICE-1/inspections/", {**READINGS, "inspected_at": when}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "inspected_at": [
            "This service records the time an inspection is received: leave inspected_at out "
            "(backdating is off, INSPECTION_BACKDATING_DAYS is 0)."
        ]
    }
    assert Inspection.objects.count() == IssuanceJob.objects.count() == 0


def test_with_backdating_the_api_takes_a_time_within_the_window(api, settings):
    settings.INSPECTION_BACKDATING_DAYS = 7
    submitted_days_ago(10)
    when = utcnow() - timedelta(days=6)

    response = inspect_via_api(api, when)

    assert response.status_code == 201
    assert Inspection.objects.get().inspected_at == when


@pytest.mark.parametrize(
    ("submitted", "inspected", "problem"),
    [
        (3, 5, "is before the batch was submitted"),
        (30, 8, "is more than 7 day(s) ago, further back than this service accepts (INSPECTION_BACKDATING_DAYS)"),
        (30, 20000, "is before the batch was submitted"),  # 1970
        (1, -1 / 24, "is in the future"),
    ],
)
def test_with_backdating_the_api_refuses_a_time_outside_the_window(api, settings, submitted, inspected, problem):
    settings.INSPECTION_BACKDATING_DAYS = 7
    submitted_days_ago(submitted)

    response = inspect_via_api(api, utcnow() - timedelta(days=inspected))

    assert response.status_code == 400
    assert list(response.json()) == ["inspected_at"] and problem in response.json()["inspected_at"][0]
    assert Inspection.objects.count() == 0


def test_a_few_minutes_of_clock_skew_are_forgiven_either_way(api, settings):
    settings.INSPECTION_BACKDATING_DAYS = 1
    batch = submitted_days_ago(0)

    ahead = inspect_via_api(api, utcnow() + timedelta(minutes=2))
    before_submission = inspect_via_api(api, batch.created_at - timedelta(minutes=2))

    assert ahead.status_code == 201 and before_submission.status_code == 201


def test_the_inspection_page_dates_an_inspection_now_whatever_is_posted(actors):
    submitted_days_ago(1)
    page = Client()
    page.force_login(actors["qa"])
    before = utcnow()

    response = page.post("/batches/RICE-1/inspect/", {**READINGS, "inspected_at": "1970-01-01T00:00:00Z"})

    assert response.status_code == 302
    assert before <= Inspection.objects.get().inspected_at <= utcnow()


def test_a_bad_backdating_window_stops_start_up_naming_the_variable():
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}

    result = manage("check", env={**env, "INSPECTION_BACKDATING_DAYS": "400"})

    assert result.returncode != 0
    assert "INSPECTION_BACKDATING_DAYS must be a whole number from 0 to 365 (got '400')" in result.stderr
