"""HTML forms of the web frontend (the API has its serializers)."""

from __future__ import annotations

from django import forms

from certificates.models import QUANTITY_UNITS, InspectionOutcome
from certificates.validators import (
    FOREIGN_MATTER_PERCENT,
    MOISTURE_PERCENT,
    PESTICIDE_RESIDUE_MG_PER_KG,
    PLAIN_TEXT,
    QUANTITY,
    TEXT_LIMITS,
    Bounds,
    normalise_newlines,
    validate_batch_number,
    validate_country,
    validate_hs_code,
)
from credentials.limits import MAX_CREDENTIAL_BYTES


class CountryField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=2, validators=[validate_country], **kwargs)

    def to_python(self, value: object) -> str:
        return super().to_python(value).upper()


def number_field(bounds: Bounds, **kwargs) -> forms.FloatField:
    """Django's FloatField already refuses NaN and infinities; the bounds are the shared ones."""
    widget = forms.NumberInput(attrs={"min": f"{bounds.low:g}", "max": f"{bounds.high:g}", "step": "any"})
    return forms.FloatField(validators=[bounds], widget=widget, **kwargs)


def text_field(name: str, **kwargs) -> forms.CharField:
    """Free text that is signed or printed: within its limit, with nothing hidden in it."""
    kwargs.setdefault("max_length", TEXT_LIMITS.get(name))
    return forms.CharField(validators=[PLAIN_TEXT[name]], **kwargs)


class NotesField(forms.CharField):
    """Several lines as a browser sends them (\\r\\n), kept as line feeds."""

    def to_python(self, value: object) -> str:
        return normalise_newlines(super().to_python(value))


class BatchForm(forms.Form):
    batch_number = forms.CharField(
        max_length=TEXT_LIMITS["batch_number"],
        validators=[validate_batch_number],
        help_text="Your own lot number, e.g. RICE-2026-014.",
    )
    product = text_field("product", help_text="e.g. Rice, Coffee, Black pepper")
    variety = text_field("variety", required=False)
    hs_code = forms.CharField(label="HS code", max_length=10, required=False, validators=[validate_hs_code])
    quantity = number_field(QUANTITY)
    unit = forms.ChoiceField(choices=[(u, u) for u in QUANTITY_UNITS])
    origin_country = CountryField(help_text="ISO code, e.g. IN")
    origin_region = text_field("origin_region", required=False)
    farm = text_field("farm", required=False)
    harvest_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    destination_country = CountryField(required=False)


class InspectionForm(forms.Form):
    moisture_percent = number_field(MOISTURE_PERCENT, label="Moisture (%)")
    pesticide_residue_mg_per_kg = number_field(PESTICIDE_RESIDUE_MG_PER_KG, label="Pesticide residue (mg/kg)")
    foreign_matter_percent = number_field(FOREIGN_MATTER_PERCENT, label="Foreign matter (%)", required=False)
    grade = text_field("grade", required=False)
    organic = forms.BooleanField(required=False)
    outcome = forms.ChoiceField(
        choices=[(outcome, outcome.capitalize()) for outcome in InspectionOutcome], widget=forms.RadioSelect
    )
    notes = NotesField(
        max_length=2000, required=False, validators=[PLAIN_TEXT["notes"]], widget=forms.Textarea(attrs={"rows": 3})
    )


class VerifyForm(forms.Form):
    text = forms.CharField(
        label="Credential JSON or QR text",
        required=False,
        max_length=MAX_CREDENTIAL_BYTES,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    file = forms.FileField(label="…or upload the credential file", required=False)

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > MAX_CREDENTIAL_BYTES:
                raise forms.ValidationError(
                    f"That file is too large to be a credential (over {MAX_CREDENTIAL_BYTES // 1024} KB)."
                )
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("That file is not text: upload the credential's JSON file.") from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError("Paste a credential or its QR text, or upload a credential file.")
        return data
