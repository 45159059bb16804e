"""HTML forms of the web frontend (the API has its serializers)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from certificates.countries import country_name
from certificates.models import QUANTITY_UNITS


def validate_country(value: str) -> None:
    if value and country_name(value.upper()) is None:
        raise forms.ValidationError(f"“{value}” is not an ISO country code such as IN, DE or US.")


class BatchForm(forms.Form):
    batch_number = forms.CharField(
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$", "Use letters, digits, '.', '_' or '-'.")],
        help_text="Your own lot number, e.g. RICE-2026-014.",
    )
    product = forms.CharField(max_length=100, help_text="e.g. Rice, Coffee, Black pepper")
    variety = forms.CharField(max_length=100, required=False)
    hs_code = forms.CharField(
        label="HS code",
        required=False,
        validators=[RegexValidator(r"^\d{4}(\.?\d{2}){0,2}$", "An HS code has 4, 6 or 8 digits, e.g. 1006.30.")],
    )
    quantity = forms.FloatField(min_value=0.001)
    unit = forms.ChoiceField(choices=[(u, u) for u in QUANTITY_UNITS])
    origin_country = forms.CharField(max_length=2, validators=[validate_country], help_text="ISO code, e.g. IN")
    origin_region = forms.CharField(max_length=200, required=False)
    farm = forms.CharField(max_length=200, required=False)
    harvest_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    destination_country = forms.CharField(max_length=2, required=False, validators=[validate_country])

    def clean_origin_country(self) -> str:
        return self.cleaned_data["origin_country"].upper()

    def clean_destination_country(self) -> str:
        return self.cleaned_data["destination_country"].upper()


class InspectionForm(forms.Form):
    moisture_percent = forms.FloatField(label="Moisture (%)", min_value=0, max_value=100)
    pesticide_residue_mg_per_kg = forms.FloatField(label="Pesticide residue (mg/kg)", min_value=0)
    foreign_matter_percent = forms.FloatField(label="Foreign matter (%)", min_value=0, max_value=100, required=False)
    grade = forms.CharField(max_length=40, required=False)
    organic = forms.BooleanField(required=False)
    outcome = forms.ChoiceField(choices=[("passed", "Passed"), ("failed", "Failed")], widget=forms.RadioSelect)
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class VerifyForm(forms.Form):
    text = forms.CharField(
        label="Credential JSON or QR text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    file = forms.FileField(label="…or upload the credential file", required=False)

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > 2_000_000:
                raise forms.ValidationError("That file is too large to be a credential (over 2 MB).")
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("That file is not text: upload the credential's JSON file.") from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError("Paste a credential or its QR text, or upload a credential file.")
        return data
