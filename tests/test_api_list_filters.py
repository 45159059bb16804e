"""The API's lists take the filters the pages offer — status, batch number, product, origin, dates,
order — read by the same form (certificates.listing.FilterForm), so a page and the API asked the same
question list the same rows. Bad values are refused in tests/test_api_input.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from certificates.models import Batch, Certificate, Inspection
from core.clock import utcnow
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def days_ago(days: int) -> str:
    return (utcnow() - days * DAY).date().isoformat()


@pytest.fixture
def shipments():
    """Coffee from Kenya 20 and 5 days ago, from Ethiopia 5 days ago; rice from India yesterday."""
    for number, product, country, age in (
        ("KE-OLD", "Coffee", "KE", 20),
        ("KE-NEW", "Coffee", "KE", 5),
        ("ET-NEW", "Coffee", "ET", 5),
        ("IN-NEW", "Basmati rice", "IN", 1),
    ):
        batch = make_batch(number, product=product, origin_country=country)
        Batch.objects(pk=batch.pk).update_one(set__created_at=utcnow() - age * DAY)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["batch_number"] for row in response.json()["results"]]


def test_batches_from_one_country_since_a_day_are_only_those(api, shipments):
    assert numbers(api["exporter"].get(f"/api/v1/batches/?origin_country=KE&since={days_ago(10)}")) == ["KE-NEW"]
    assert numbers(api["exporter"].get("/api/v1/batches/?origin_country=ke")) == ["KE-NEW", "KE-OLD"]
    assert numbers(api["exporter"].get(f"/api/v1/batches/?until={days_ago(10)}")) == ["KE-OLD"]
    assert numbers(api["exporter"].get("/api/v1/batches/?origin_country=KE&order=oldest")) == ["KE-OLD", "KE-NEW"]
    assert numbers(api["other_exporter"].get("/api/v1/batches/?origin_country=KE")) == []


def test_certificates_and_inspections_are_filtered_by_the_day_they_were_issued_and_recorded(api, shipments):
    for number in ("KE-OLD", "IN-NEW"):
        issue_certificate(make_inspection(Batch.objects.get(batch_number=number), inspector="qa"))
    old = Batch.objects.get(batch_number="KE-OLD")
    Certificate.objects(batch=old).update(set__issued_at=utcnow() - 19 * DAY)
    Inspection.objects(batch=old).update(set__inspected_at=utcnow() - 19 * DAY)
    recent = f"?since={days_ago(10)}"

    assert numbers(api["exporter"].get("/api/v1/certificates/" + recent)) == ["IN-NEW"]
    assert numbers(api["exporter"].get("/api/v1/certificates/?order=oldest")) == ["KE-OLD", "IN-NEW"]
    assert numbers(api["qa"].get("/api/v1/inspections/" + recent)) == ["IN-NEW"]
    assert numbers(api["qa"].get(f"/api/v1/inspections/?until={days_ago(10)}&outcome=passed")) == ["KE-OLD"]


def test_the_inspection_history_is_the_inspector_s_own(api, shipments):
    make_inspection(Batch.objects.get(batch_number="KE-NEW"), inspector="qa", outcome="failed")
    make_inspection(Batch.objects.get(batch_number="ET-NEW"), inspector="someone_else")

    assert numbers(api["qa"].get("/api/v1/inspections/")) == ["KE-NEW"]
    assert numbers(api["exporter"].get("/api/v1/inspections/")) == []


@pytest.mark.parametrize(
    "page_query, api_query",
    [
        ("country=KE&sort=oldest", "origin_country=KE&order=oldest"),
        ("product=coffee&status=submitted", "product=coffee&status=submitted"),
        ("q=ke-&product=coffee&since={since}", "q=ke-&product=coffee&since={since}"),
        ("until={since}&sort=newest", "until={since}&order=newest"),
    ],
)
def test_a_page_and_the_api_asked_the_same_list_the_same_batches(actors, api, shipments, page_query, api_query):
    page = Client()
    page.force_login(actors["qa"])
    since = days_ago(10)

    html = page.get("/batches/?" + page_query.format(since=since)).content.decode()
    listed = numbers(api["qa"].get("/api/v1/batches/?" + api_query.format(since=since)))

    assert re.findall(r'href="/batches/([^/"]+)/"', html) == listed != []
