"""Who can call which API endpoint: every endpoint, every role, and an anonymous caller."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from certificates.models import Certificate
from issuance.models import IssuanceJob
from notifications.models import Notification
from tests.factories import make_batch, make_inspection, run_due_jobs

pytestmark = pytest.mark.django_db

NEW_BATCH = {"batch_number": "NEW-1", "product": "Coffee", "quantity": 10, "unit": "bag", "origin_country": "ET"}
INSPECTION = {"moisture_percent": 11, "pesticide_residue_mg_per_kg": 0, "outcome": "failed"}


@pytest.fixture
def world(actors):
    batch = make_batch("RICE-1", exporter="exporter")
    make_inspection(batch)
    run_due_jobs()
    certificate = Certificate.objects.get()
    Certificate.objects(pk=certificate.pk).update_one(add_to_set__shared_with="importer")
    make_batch("OTHER-1", exporter="other_exporter")
    return {"batch": batch, "certificate": certificate, "notification": Notification.objects.get()}


def endpoints(world) -> list[tuple[str, str, dict | None]]:
    certificate = world["certificate"].pk
    return [
        ("get", "/api/v1/batches/", None),
        ("post", "/api/v1/batches/", NEW_BATCH),
        ("get", "/api/v1/batches/RICE-1/", None),
        ("get", "/api/v1/batches/RICE-1/inspections/", None),
        ("post", "/api/v1/batches/RICE-1/inspections/", INSPECTION),
        ("get", "/api/v1/batches/RICE-1/issuance/", None),
        ("post", "/api/v1/batches/RICE-1/issuance/retry/", None),
        ("get", "/api/v1/certificates/", None),
        ("get", f"/api/v1/certificates/{certificate}/", None),
        ("get", f"/api/v1/certificates/{certificate}/credential/", None),
        ("get", f"/api/v1/certificates/{certificate}/qr.svg", None),
        ("post", f"/api/v1/certificates/{certificate}/share/", {"importer": "importer"}),
        ("get", "/api/v1/notifications/", None),
        ("get", "/api/v1/notifications/unread-count/", None),
        ("post", f"/api/v1/notifications/{world['notification'].pk}/read/", None),
        ("post", "/api/v1/notifications/read-all/", None),
    ]


# Expected status per endpoint (in the order above) for each caller.
EXPECTED = {
    "anonymous": [401] * 16,
    "exporter": [200, 201, 200, 200, 403, 200, 403, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    "other_exporter": [200, 201, 404, 404, 403, 404, 403, 200, 404, 404, 404, 404, 200, 200, 404, 200],
    "qa": [200, 403, 200, 200, 201, 200, 403, 200, 200, 200, 200, 403, 200, 200, 404, 200],
    "importer": [200, 403, 404, 404, 403, 404, 403, 200, 200, 200, 200, 403, 200, 200, 404, 200],
    "staff": [200, 403, 200, 200, 201, 200, 409, 200, 200, 200, 200, 403, 200, 200, 404, 200],
}


@pytest.mark.parametrize("caller", list(EXPECTED))
def test_access_matrix(caller, api, world):
    client = api[caller]
    got = []
    for method, url, body in endpoints(world):
        response = getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
        got.append(response.status_code)
        if method == "post" and url == "/api/v1/batches/" and response.status_code == 201:
            NEW_BATCH["batch_number"] = NEW_BATCH["batch_number"] + "X"  # the next caller needs a fresh number
    assert got == EXPECTED[caller]


def test_lists_show_only_what_the_caller_may_see(api, world):
    assert [b["batch_number"] for b in api["exporter"].get("/api/v1/batches/").json()["results"]] == ["RICE-1"]
    assert {b["batch_number"] for b in api["qa"].get("/api/v1/batches/").json()["results"]} == {"RICE-1", "OTHER-1"}
    assert api["other_exporter"].get("/api/v1/certificates/").json()["count"] == 0
    assert api["importer"].get("/api/v1/certificates/").json()["count"] == 1


def test_token_authentication(actors, world):
    from rest_framework.test import APIClient

    token = Token.objects.create(user=actors["exporter"])
    client = APIClient()

    assert client.get("/api/v1/batches/", HTTP_AUTHORIZATION="Token wrong").status_code == 401
    response = client.get("/api/v1/batches/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response.json()["count"] == 1


def test_staff_retry_requeues_a_job_that_gave_up(api, actors):
    batch = make_batch("FAIL-1")
    make_inspection(batch)
    IssuanceJob.objects.update(set__status="failed", set__next_attempt_at=None, set__attempts_left=0)

    response = api["staff"].post("/api/v1/batches/FAIL-1/issuance/retry/")

    assert response.status_code == 200
    assert response.json()["job"]["status"] == "pending"
