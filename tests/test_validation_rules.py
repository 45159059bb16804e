"""One set of rules for a batch's and an inspection's values: the form, the API and the document agree.

The copies used to disagree (the form took 1e308 where the API capped at 1e9; the API took "nan"
and `true`); here every entry point meets the same hostile and borderline values.
"""

from __future__ import annotations

import pytest
from mongoengine import ValidationError as DocumentValidationError

from certificates.models import Batch
from certificates.serializers import BatchSerializer, InspectionSerializer
from tests.factories import make_batch
from web.forms import BatchForm, InspectionForm

pytestmark = pytest.mark.django_db

BATCH = {"batch_number": "RICE-7", "product": "Rice", "quantity": "100", "unit": "kg", "origin_country": "IN"}
INSPECTION = {"moisture_percent": "12", "pesticide_residue_mg_per_kg": "0.01", "outcome": "passed"}

QUANTITIES = [
    ("100", True),
    ("0.001", True),
    ("1e9", True),
    ("0", False),
    ("1e308", False),
    ("nan", False),
    ("NaN", False),
    ("inf", False),
    ("-inf", False),
    ("-5", False),
    ("lots", False),
]


def accepted_by_form(**changes) -> bool:
    return BatchForm({**BATCH, **changes}).is_valid()


def accepted_by_api(**changes) -> bool:
    return BatchSerializer(data={**BATCH, **changes}).is_valid()


def accepted_by_document(**changes) -> bool:
    values = {**BATCH, **changes}
    try:
        values["quantity"] = float(values["quantity"])
    except ValueError:
        return False
    try:
        Batch(**values, exporter="exporter", exporter_name="Green Valley").validate()
    except DocumentValidationError:
        return False
    return True


@pytest.mark.parametrize(("quantity", "valid"), QUANTITIES)
def test_form_api_and_document_agree_on_every_quantity(quantity, valid):
    assert accepted_by_form(quantity=quantity) is valid
    assert accepted_by_api(quantity=quantity) is valid
    assert accepted_by_document(quantity=quantity) is valid


@pytest.mark.parametrize("value", [True, False, "nan", float("nan"), float("inf"), [1], {"a": 1}])
def test_the_api_refuses_booleans_and_non_finite_json_numbers(value):
    serializer = BatchSerializer(data={**BATCH, "quantity": value})

    assert not serializer.is_valid()
    assert "quantity" in serializer.errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("batch_number", "-starts-with-a-dash"),
        ("batch_number", "x"),
        ("hs_code", "10063"),
        ("origin_country", "XX"),
        ("origin_country", "india"),
    ],
)
def test_form_api_and_document_refuse_the_same_text(field, value):
    assert not accepted_by_form(**{field: value})
    assert not accepted_by_api(**{field: value})
    assert not accepted_by_document(**{field: value})


def test_lower_case_country_codes_are_accepted_and_stored_upper_case():
    form = BatchForm({**BATCH, "origin_country": "in"})
    serializer = BatchSerializer(data={**BATCH, "origin_country": "in"})

    assert form.is_valid() and form.cleaned_data["origin_country"] == "IN"
    assert serializer.is_valid() and serializer.validated_data["origin_country"] == "IN"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("moisture_percent", "101"),
        ("moisture_percent", "nan"),
        ("pesticide_residue_mg_per_kg", "-0.1"),
        ("pesticide_residue_mg_per_kg", "1e7"),
        ("foreign_matter_percent", "inf"),
    ],
)
def test_form_and_api_refuse_the_same_readings(field, value):
    assert not InspectionForm({**INSPECTION, field: value}).is_valid()
    assert not InspectionSerializer(data={**INSPECTION, field: value}).is_valid()


def test_a_refused_number_saves_nothing(api):
    response = api["exporter"].post("/api/v1/batches/", {**BATCH, "quantity": "nan"}, format="json")

    assert response.status_code == 400 and "quantity" in response.json()
    assert Batch.objects.count() == 0
    assert api["exporter"].get("/api/v1/batches/").status_code == 200


def test_the_document_itself_refuses_nan():
    with pytest.raises(DocumentValidationError, match="finite"):
        make_batch("NAN-1", quantity=float("nan"))


def test_an_organisation_name_too_long_for_a_qr_code_is_explained_on_the_form_and_the_api(api, actors):
    from django.test import Client

    actors["exporter"].first_name = "Green Valley Exports and Agricultural Trading Private Limited Company"
    actors["exporter"].save()
    page = Client()
    page.force_login(actors["exporter"])

    form = page.post("/batches/new/", {**BATCH, "quantity": "100"}).content.decode()
    response = api["exporter"].post("/api/v1/batches/", {**BATCH, "quantity": 100}, format="json")

    assert "must fit the certificate&#x27;s QR code" in form or "must fit the certificate's QR code" in form
    assert response.status_code == 400 and "the limit is 48" in response.json()["non_field_errors"][0]
    assert Batch.objects.count() == 0
