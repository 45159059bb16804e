"""Text limits count the bytes a certificate's QR code carries, not characters: whatever the page,
the API or a document accepts fits the code, in any script, and a refusal names the field and the
limit in plain words.

Counting characters, a batch in Devanagari, Chinese or emoji passed every check, passed its
inspection, and then could never be certified: its credential needed a QR code of version 27 to 32.
"""

from __future__ import annotations

import pytest
from django.test import Client
from mongoengine import ValidationError as DocumentValidationError

from certificates.models import Batch, Inspection
from certificates.serializers import BatchSerializer, InspectionSerializer
from certificates.validators import TEXT_LIMITS
from web.forms import BatchForm, InspectionForm

pytestmark = pytest.mark.django_db

BATCH = {"batch_number": "RICE-7", "product": "Rice", "quantity": "100", "unit": "kg", "origin_country": "IN"}
INSPECTION = {"moisture_percent": "12", "pesticide_residue_mg_per_kg": "0.01", "outcome": "passed"}
BATCH_TEXT = [("product", "Product"), ("variety", "Variety"), ("origin_region", "Origin region"), ("farm", "Farm")]
# One character of each width in UTF-8: Latin, accented Latin, Devanagari, Chinese, an emoji.
CHARACTERS = ["a", "é", "क", "米", "🌾"]


def just_over(field: str, char: str) -> str:
    """The fewest characters of `char` that take more bytes than `field` allows."""
    return char * (TEXT_LIMITS[field] // len(char.encode()) + 1)


def at_limit(field: str, char: str) -> str:
    count, rest = divmod(TEXT_LIMITS[field], len(char.encode()))
    return char * count + "a" * rest


def refusal(label: str, value: str, field: str) -> str:
    limit = TEXT_LIMITS[field]
    return (
        f"{label} must fit the certificate's QR code: at most {limit} plain Latin characters, fewer in other "
        "scripts (accented letters take 2 bytes, Chinese or Devanagari 3, emoji 4): "
        f"this one is {len(value.encode())} bytes, the limit is {limit}."
    )


@pytest.mark.parametrize("char", CHARACTERS)
@pytest.mark.parametrize(("field", "label"), BATCH_TEXT)
def test_form_api_and_document_refuse_batch_text_over_its_bytes_naming_field_and_limit(field, label, char):
    value = just_over(field, char)
    form = BatchForm({**BATCH, field: value})
    serializer = BatchSerializer(data={**BATCH, field: value})
    document = Batch(**{**BATCH, "quantity": 100.0, field: value}, exporter="exporter", exporter_name="Green Valley")

    assert not form.is_valid() and form.errors[field] == [refusal(label, value, field)]
    assert not serializer.is_valid() and serializer.errors[field] == [refusal(label, value, field)]
    with pytest.raises(DocumentValidationError, match="the limit is"):
        document.validate()


@pytest.mark.parametrize("char", CHARACTERS)
@pytest.mark.parametrize(("field", "label"), BATCH_TEXT)
def test_form_api_and_document_accept_batch_text_of_exactly_its_bytes(field, label, char):
    value = at_limit(field, char)

    assert BatchForm({**BATCH, field: value}).is_valid()
    assert BatchSerializer(data={**BATCH, field: value}).is_valid()
    Batch(**{**BATCH, "quantity": 100.0, field: value}, exporter="exporter", exporter_name="Green Valley").validate()


@pytest.mark.parametrize("char", CHARACTERS)
def test_form_api_and_document_count_the_grade_in_bytes(char, batch):
    from tests.factories import make_inspection

    value = just_over("grade", char)
    form = InspectionForm({**INSPECTION, "grade": value})
    serializer = InspectionSerializer(data={**INSPECTION, "grade": value})

    assert not form.is_valid() and form.errors["grade"] == [refusal("Grade", value, "grade")]
    assert not serializer.is_valid() and serializer.errors["grade"] == [refusal("Grade", value, "grade")]
    with pytest.raises(DocumentValidationError, match="the limit is 8"):
        make_inspection(batch, grade=value)
    assert make_inspection(batch, grade=at_limit("grade", char)).reload().grade == at_limit("grade", char)


def test_the_documents_count_the_signed_names_in_bytes(batch):
    from tests.factories import make_batch, make_inspection

    with pytest.raises(
        DocumentValidationError, match="Exporter name must fit .* this one is 51 bytes, the limit is 48"
    ):
        make_batch("RICE-8", exporter_name="米" * 17)
    with pytest.raises(DocumentValidationError, match="Agency must fit .* this one is 52 bytes, the limit is 48"):
        make_inspection(batch, agency="🌾" * 13)


def test_a_field_says_it_once_even_when_it_also_has_too_many_characters():
    value = "a" * (TEXT_LIMITS["product"] + 10)

    serializer = BatchSerializer(data={**BATCH, "product": value})

    assert BatchForm({**BATCH, "product": value}).errors["product"] == [refusal("Product", value, "product")]
    assert not serializer.is_valid() and serializer.errors["product"] == [refusal("Product", value, "product")]


def test_the_batch_page_names_the_field_and_its_limit_and_saves_nothing(actors):
    page = Client()
    page.force_login(actors["exporter"])
    farm = "सूर्योदय सहकारी कृषि फार्म"

    response = page.post("/batches/new/", {**BATCH, "farm": farm})

    assert response.status_code == 200
    assert f"this one is {len(farm.encode())} bytes, the limit is 24" in response.content.decode()
    assert Batch.objects.count() == 0


def test_the_api_answers_400_naming_each_field_over_its_bytes(api, batch):
    product = "有機バスマティ米・長粒種・特選品質"

    submitted = api["exporter"].post("/api/v1/batches/", {**BATCH, "product": product}, format="json")
    inspected = api["qa"].post(
        f"/api/v1/batches/{batch.batch_number}/inspections/", {**INSPECTION, "grade": "🌾🌾🌾"}, format="json"
    )

    assert submitted.status_code == 400 and submitted.json()["product"] == [refusal("Product", product, "product")]
    assert inspected.status_code == 400 and set(inspected.json()) == {"grade"}
    assert Batch.objects.count() == 1 and Inspection.objects.count() == 0


def test_an_organisation_name_over_its_bytes_is_refused_before_anything_is_saved(api, actors):
    actors["exporter"].first_name = "ग्रीन वैली ऑर्गेनिक एक्सपोर्टर्स"
    actors["exporter"].save()

    response = api["exporter"].post("/api/v1/batches/", BATCH, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        refusal("Your organisation's name", actors["exporter"].first_name, "exporter_name")
        + " Ask an administrator to shorten it (the user's first name)."
    ]
    assert Batch.objects.count() == 0
