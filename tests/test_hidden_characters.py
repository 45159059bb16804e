"""Text that is signed or printed holds nothing a reader cannot see: no control characters, no
bidirectional overrides, embeddings, isolates or marks, no other invisible formatting — refused
with a message naming the field by the page, the API and the documents alike, and nothing saved.

An outsider once signed "Rice" with a right-to-left override (U+202E) and escapes (\\x01, \\x1b)
into certificates; a verifier's screen then showed text in another order than was signed.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from mongoengine import ValidationError as DocumentValidationError

from certificates.models import Batch, Certificate, Inspection
from certificates.serializers import BatchSerializer, InspectionSerializer
from issuance.models import IssuanceJob
from tests.factories import make_batch, make_inspection, run_due_jobs
from web.forms import BatchForm, InspectionForm

pytestmark = pytest.mark.django_db

BATCH = {"batch_number": "RICE-7", "product": "Rice", "quantity": "100", "unit": "kg", "origin_country": "IN"}
INSPECTION = {"moisture_percent": "12", "pesticide_residue_mg_per_kg": "0.01", "outcome": "passed"}

HOSTILE = [
    ("Ri\u202ece", "the invisible formatting character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("Ri\u202bce", "the invisible formatting character U+202B (RIGHT-TO-LEFT EMBEDDING)"),
    ("Ri\u2067ce\u2069", "the invisible formatting character U+2067 (RIGHT-TO-LEFT ISOLATE)"),
    ("Ri\u200fce", "the invisible formatting character U+200F (RIGHT-TO-LEFT MARK)"),
    ("Ri\u200bce", "the invisible formatting character U+200B (ZERO WIDTH SPACE)"),
    ("Bas\u00admati", "the invisible formatting character U+00AD (SOFT HYPHEN)"),
    ("Ri\ufeffce", "the invisible formatting character U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ("Ri\x01ce", "a control character (U+0001)"),
    ("Ri\x1b[31mce", "a control character (U+001B)"),
    ("Ri\tce", "a control character (U+0009)"),
    ("Ri\x7fce", "a control character (U+007F)"),
    ("Ri\nce", "must be one line (U+000A)"),
    ("Ri\rce", "must be one line (U+000D)"),
    ("Ri\u2028ce", "must be one line (U+2028)"),
]
# Persian needs ZWNJ between letters that must not join; Devanagari conjuncts and emoji need ZWJ.
SCRIPTS_NEEDING_JOINERS = ["برنج\u200cها", "क्\u200dष", "Riz basmati", "Reis – Qualität A", "大米"]

BATCH_TEXT = [("product", "Product"), ("variety", "Variety"), ("origin_region", "Origin region"), ("farm", "Farm")]


def refusal(label: str, problem: str) -> str:
    return f"{label} {problem if problem.startswith('must') else 'contains ' + problem}: remove it"


@pytest.mark.parametrize(("value", "problem"), HOSTILE)
@pytest.mark.parametrize(("field", "label"), BATCH_TEXT)
def test_form_api_and_document_refuse_hidden_characters_in_batch_text_naming_the_field(field, label, value, problem):
    form = BatchForm({**BATCH, field: value})
    serializer = BatchSerializer(data={**BATCH, field: value})
    document = Batch(**{**BATCH, "quantity": 100.0, field: value}, exporter="exporter", exporter_name="Green Valley")

    assert not form.is_valid() and form.errors[field][0].startswith(refusal(label, problem))
    assert not serializer.is_valid() and str(serializer.errors[field][0]).startswith(refusal(label, problem))
    with pytest.raises(DocumentValidationError) as refused:
        document.validate()
    assert str(refused.value.errors[field].message).startswith(refusal(label, problem))


@pytest.mark.parametrize(("value", "problem"), HOSTILE)
def test_form_api_and_document_refuse_hidden_characters_in_the_grade(value, problem, batch):
    form = InspectionForm({**INSPECTION, "grade": value})
    serializer = InspectionSerializer(data={**INSPECTION, "grade": value})

    assert not form.is_valid() and form.errors["grade"][0].startswith(refusal("Grade", problem))
    assert not serializer.is_valid() and "grade" in serializer.errors
    with pytest.raises(DocumentValidationError, match="Grade"):
        make_inspection(batch, grade=value)


@pytest.mark.parametrize("value", SCRIPTS_NEEDING_JOINERS)
def test_text_in_any_script_is_accepted_with_the_joiners_it_needs(value):
    assert BatchForm({**BATCH, "product": value}).is_valid()
    assert BatchSerializer(data={**BATCH, "product": value}).is_valid()
    assert make_batch(product=value).reload().product == value


def test_the_documents_refuse_hidden_characters_in_every_signed_name(batch):
    with pytest.raises(DocumentValidationError, match=r"Exporter name contains a control character \(U\+001B\)"):
        make_batch("RICE-8", exporter_name="Green\x1b[2J Valley")
    with pytest.raises(DocumentValidationError, match=r"Agency contains the invisible formatting character U\+202E"):
        make_inspection(batch, agency="National \u202eAQ")
    assert Batch.objects.count() == 1 and Inspection.objects.count() == 0


def test_notes_keep_their_lines_as_line_feeds_and_refuse_other_controls(batch):
    form = InspectionForm({**INSPECTION, "notes": "Moisture high\r\nresampled"})
    serializer = InspectionSerializer(data={**INSPECTION, "notes": "Moisture high\r\nresampled"})

    assert form.is_valid() and form.cleaned_data["notes"] == "Moisture high\nresampled"
    assert serializer.is_valid() and serializer.validated_data["notes"] == "Moisture high\nresampled"
    assert make_inspection(batch, notes="one\r\ntwo").reload().notes == "one\ntwo"
    for value, problem in (
        ("a\x1bb", "Notes contains a control character (U+001B)"),
        ("a\tb", "Notes contains a control character (U+0009)"),
        ("a\rb", "Notes contains a line break other than a new line (U+000D)"),
        ("a\u2028b", "Notes contains a line break other than a new line (U+2028)"),
        ("a\u202eb", "Notes contains the invisible formatting character U+202E"),
    ):
        serializer = InspectionSerializer(data={**INSPECTION, "notes": value})
        assert InspectionForm({**INSPECTION, "notes": value}).errors["notes"][0].startswith(problem)
        assert not serializer.is_valid() and str(serializer.errors["notes"][0]).startswith(problem)
        with pytest.raises(DocumentValidationError, match=re.escape(problem)):
            make_inspection(batch, notes=value)
    assert Inspection.objects.count() == 1


def test_the_batch_page_refuses_an_override_naming_the_field_and_saves_nothing(actors):
    page = Client()
    page.force_login(actors["exporter"])

    response = page.post("/batches/new/", {**BATCH, "product": "Ri\u202ece", "variety": "Basmati\x01"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Product contains the invisible formatting character U+202E (RIGHT-TO-LEFT OVERRIDE)" in html
    assert "Variety contains a control character (U+0001)" in html
    assert Batch.objects.count() == 0


def test_the_inspection_page_refuses_an_escape_in_the_grade_and_records_nothing(actors, batch):
    page = Client()
    page.force_login(actors["qa"])

    response = page.post(f"/batches/{batch.batch_number}/inspect/", {**INSPECTION, "grade": "A\x1b[31m"})

    assert response.status_code == 200
    assert "Grade contains a control character (U+001B)" in response.content.decode()
    assert Inspection.objects.count() == 0


def test_the_api_refuses_hidden_characters_with_a_400_naming_each_field(api, batch):
    submitted = api["exporter"].post(
        "/api/v1/batches/", {**BATCH, "product": "Ri\u202ece", "farm": "Green\x01Farm"}, format="json"
    )
    inspected = api["qa"].post(
        f"/api/v1/batches/{batch.batch_number}/inspections/",
        {**INSPECTION, "grade": "A\u202e", "notes": "ok\x1b[2J"},
        format="json",
    )

    assert submitted.status_code == 400
    assert submitted.json()["product"][0].startswith("Product contains the invisible formatting character U+202E")
    assert submitted.json()["farm"][0].startswith("Farm contains a control character (U+0001)")
    assert inspected.status_code == 400
    assert set(inspected.json()) == {"grade", "notes"}
    assert Batch.objects.count() == 1 and Inspection.objects.count() == 0


def test_an_organisation_name_with_an_override_is_refused_before_anything_is_saved(api, actors):
    actors["exporter"].first_name = "Green Valley \u202eLtd"
    actors["exporter"].save()

    response = api["exporter"].post("/api/v1/batches/", BATCH, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "Your organisation's name contains the invisible formatting character U+202E (RIGHT-TO-LEFT OVERRIDE): "
        "ask an administrator to correct it (the user's first name)."
    ]
    assert Batch.objects.count() == 0


@pytest.mark.parametrize("hostile", ["Rice\u202e", "Rice\x01", "Rice\x1b[31m"])
def test_no_certificate_can_carry_hidden_characters_because_their_batch_is_never_saved(api, hostile):
    response = api["exporter"].post("/api/v1/batches/", {**BATCH, "product": hostile}, format="json")
    inspected = api["qa"].post(f"/api/v1/batches/{BATCH['batch_number']}/inspections/", INSPECTION, format="json")

    assert response.status_code == 400 and inspected.status_code == 404
    assert run_due_jobs() == 0
    assert Batch.objects.count() == IssuanceJob.objects.count() == Certificate.objects.count() == 0
    with pytest.raises(DocumentValidationError, match="Product contains"):
        make_batch(BATCH["batch_number"], product=hostile)
    assert Batch.objects.count() == 0


def test_text_that_a_verifier_would_read_as_a_blank_node_name_is_refused(api):
    values = {"batch_number": "BN-1", "product": "_:b0", "quantity": 1, "unit": "kg", "origin_country": "IN"}

    response = api["exporter"].post("/api/v1/batches/", values, format="json")

    assert response.status_code == 400
    assert response.json()["product"] == ["Product cannot start with “_:”: verifiers would refuse the certificate."]
