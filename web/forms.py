"""HTML forms of the web frontend (the API has its serializers)."""

from __future__ import annotations

from django import forms

from certificates.countries import countries_by_name
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
from credentials.images import MAX_FILE_BYTES, UnreadableFile, kind_of, text_in_file
from credentials.limits import MAX_CREDENTIAL_BYTES


class CountryField(forms.ChoiceField):
    """A country picked by its name; its ISO 3166 code is what is stored and signed."""

    def __init__(self, *, blank: str = "Choose a country", **kwargs) -> None:
        super().__init__(
            choices=[("", blank), *countries_by_name()],
            validators=[validate_country],
            error_messages={"invalid_choice": "%(value)s is not a country code: pick the country from the list."},
            **kwargs,
        )

    def to_python(self, value: object) -> str:
        return super().to_python(value).upper()


def number_field(bounds: Bounds, **kwargs) -> forms.FloatField:
    """Django's FloatField already refuses NaN and infinities; the bounds are the shared ones."""
    widget = forms.NumberInput(attrs={"min": f"{bounds.low:g}", "max": f"{bounds.high:g}", "step": "any"})
    return forms.FloatField(validators=[bounds], widget=widget, **kwargs)


def text_field(name: str, **kwargs) -> forms.CharField:
    """Free text that is signed or printed: within its limit in bytes, with nothing hidden in it
    (PLAIN_TEXT[name] checks both). No max_length: it would count characters, and its maxlength
    attribute would cut a pasted name short without a word."""
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
    origin_country = CountryField(label="Country of origin")
    origin_region = text_field("origin_region", required=False)
    farm = text_field("farm", required=False)
    harvest_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    destination_country = CountryField(blank="Not decided yet", required=False)


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


class ShareForm(forms.Form):
    importer = forms.CharField(
        label="Share with an importer",
        max_length=254,
        help_text="Type at least 3 letters of their organisation's name or username, or their whole e-mail "
        "address; then pick "
        "them from the list. They are told at once and see the certificate on their dashboard.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class VerifyForm(forms.Form):
    """A credential as people hold it: a photo of its QR code, its PDF or file, or its pasted text."""

    photo = forms.FileField(
        label="Take a photo of the QR code",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    file = forms.FileField(
        label="Upload a file",
        required=False,
        help_text=f"A photo or screenshot of the QR code (JPEG, PNG, HEIC, WebP), the certificate's PDF, or the "
        f"credential's JSON file; up to {MAX_FILE_BYTES // 1024 // 1024} MB.",
        widget=forms.FileInput(attrs={"accept": "image/*,.heic,.heif,application/pdf,.pdf,application/json,.json"}),
    )
    text = forms.CharField(
        label="…or paste the credential's JSON or its QR text",
        required=False,
        max_length=MAX_CREDENTIAL_BYTES,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        uploads = [upload for upload in (data.get("photo"), data.get("file")) if upload]
        if len(uploads) > 1:
            raise forms.ValidationError("Send one file at a time: a photo or a file, not both.")
        data["from_code"] = False
        if uploads:
            data["text"], data["from_code"] = _read_upload(uploads[0])
        if not (data.get("text") or "").strip():
            raise forms.ValidationError(
                "Paste a credential or its QR text, or take a photo of its QR code, or upload its PDF or file."
            )
        return data


def _read_upload(upload) -> tuple[str, bool]:
    """The text an uploaded file holds, and whether it came from a QR code."""
    data = upload.read(MAX_FILE_BYTES + 1)  # one byte more than is read, so an oversized file is told so
    try:
        return text_in_file(data), kind_of(data) is not None
    except UnreadableFile as exc:
        raise forms.ValidationError(str(exc)) from None
