"""API representations of batches, inspections and certificates, with field-level validation."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from certificates.models import QUANTITY_UNITS, Certificate, InspectionOutcome
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
from credentials.images import MAX_FILE_BYTES, MAX_IMAGE_PIXELS, MAX_PDF_PAGES, UnreadableFile, kind_of, text_in_file
from credentials.limits import MAX_QR_TEXT_CHARS, UnreadableCredential, check_document
from credentials.qr import QRDecodeError, decode_pixelpass
from credentials.verification import read_credential


class CountryField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=2, validators=[validate_country], **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()


class NumberField(serializers.FloatField):
    """A finite number within `bounds` (also documented in the schema). JSON `true` is no number."""

    def __init__(self, bounds: Bounds, **kwargs):
        super().__init__(min_value=bounds.low, max_value=bounds.high, **kwargs)
        self.validators = [bounds]

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """Free text that is signed or printed: within its limit in UTF-8 bytes, with nothing hidden in
    it (PLAIN_TEXT[name] checks both). max_length documents the limit in the schema (no text of
    more characters fits) and is not checked again in characters, which would say it twice."""

    def __init__(self, name: str, **kwargs):
        limit = TEXT_LIMITS[name]
        kwargs.setdefault(
            "help_text", f"At most {limit} bytes in UTF-8: {limit} plain Latin characters, fewer in other scripts"
        )
        super().__init__(max_length=limit, **kwargs)
        self.validators = [PLAIN_TEXT[name]]


class NotesField(serializers.CharField):
    """Several lines, kept as line feeds (\\r\\n becomes \\n)."""

    def to_internal_value(self, data):
        return normalise_newlines(super().to_internal_value(data))


class BatchSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    batch_number = serializers.CharField(max_length=TEXT_LIMITS["batch_number"], validators=[validate_batch_number])
    exporter = serializers.CharField(read_only=True)
    exporter_name = serializers.CharField(read_only=True)
    product = TextField("product")
    variety = TextField("variety", required=False, allow_blank=True)
    hs_code = serializers.CharField(max_length=10, required=False, allow_blank=True, validators=[validate_hs_code])
    quantity = NumberField(QUANTITY)
    unit = serializers.ChoiceField(choices=QUANTITY_UNITS)
    origin_country = CountryField()
    origin_region = TextField("origin_region", required=False, allow_blank=True)
    farm = TextField("farm", required=False, allow_blank=True)
    harvest_date = serializers.DateField(required=False, allow_null=True)
    destination_country = CountryField(required=False, allow_blank=True)
    status = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class InspectionSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    batch_number = serializers.CharField(read_only=True, source="batch.batch_number")
    inspector = serializers.CharField(read_only=True)
    agency = serializers.CharField(read_only=True)
    inspected_at = serializers.DateTimeField(
        required=False,
        help_text="Leave out: the server records when the inspection is received. Only where the deployment allows "
        "backdating (INSPECTION_BACKDATING_DAYS > 0) may it be that many days back, not before the batch was "
        "submitted nor in the future; otherwise sending it is refused (400).",
    )
    moisture_percent = NumberField(MOISTURE_PERCENT)
    pesticide_residue_mg_per_kg = NumberField(PESTICIDE_RESIDUE_MG_PER_KG)
    foreign_matter_percent = NumberField(FOREIGN_MATTER_PERCENT, required=False, allow_null=True)
    grade = TextField("grade", required=False, allow_blank=True)
    organic = serializers.BooleanField(required=False, default=False)
    outcome = serializers.ChoiceField(choices=list(InspectionOutcome))
    notes = NotesField(max_length=2000, required=False, allow_blank=True, validators=[PLAIN_TEXT["notes"]])


class CertificateSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    credential_id = serializers.CharField(read_only=True)
    batch_number = serializers.CharField(read_only=True, source="batch.batch_number")
    issuer_did = serializers.CharField(read_only=True)
    issued_via = serializers.CharField(read_only=True)
    issued_at = serializers.DateTimeField(read_only=True)
    valid_until = serializers.DateTimeField(read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revocation_reason = serializers.CharField(read_only=True, allow_null=True)
    links = serializers.SerializerMethodField()

    def get_links(self, instance: Certificate) -> dict[str, str]:
        return {
            "self": reverse("api-certificate", args=[instance.pk]),
            "credential": reverse("api-certificate-credential", args=[instance.pk]),
            "qr_svg": reverse("api-certificate-qr", args=[instance.pk, "svg"]),
            "qr_png": reverse("api-certificate-qr", args=[instance.pk, "png"]),
            "public_page": reverse("certificate-public", args=[instance.public_token]),
        }


class ShareSerializer(serializers.Serializer):
    importer = serializers.CharField(max_length=254, help_text="The importer's username or e-mail address")


class VerifyRequestSerializer(serializers.Serializer):
    """application/json: the credential, or the text of its QR code. `document` is what they hold."""

    credential = serializers.JSONField(required=False, help_text="The credential as a JSON object")
    qr = serializers.CharField(
        required=False, max_length=MAX_QR_TEXT_CHARS, help_text="The text of its QR code (PixelPass)"
    )

    def validate(self, attrs: dict) -> dict:
        if ("credential" in attrs) == ("qr" in attrs):
            raise serializers.ValidationError("Send exactly one of 'credential' (a JSON object) or 'qr' (QR text).")
        if "qr" in attrs:
            try:
                return {"document": decode_pixelpass(attrs["qr"])}
            except QRDecodeError as exc:
                raise serializers.ValidationError({"qr": [str(exc)]}) from None
        try:
            check_document(attrs["credential"])
        except UnreadableCredential as exc:
            problem = f"Not a credential this service reads: {exc}."
            raise serializers.ValidationError({"credential": [problem]}) from None
        return {"document": attrs["credential"]}


class VerifyFileSerializer(serializers.Serializer):
    """multipart/form-data: a file as people hold it. `document` is the credential it carries."""

    file = serializers.FileField(
        help_text=f"A photo or screenshot of the certificate's QR code (JPEG, PNG, HEIC, WebP), the certificate's "
        f"PDF (the QR code is read from its first {MAX_PDF_PAGES} pages), or the credential's JSON file or QR text; "
        f"up to {MAX_FILE_BYTES // 1024 // 1024} MB and {MAX_IMAGE_PIXELS // 1_000_000} megapixels"
    )

    def validate_file(self, upload) -> dict:
        data = upload.read(MAX_FILE_BYTES + 1)  # one byte more than is read, so an oversized file is told so
        try:
            text = text_in_file(data)
        except UnreadableFile as exc:
            raise serializers.ValidationError(str(exc)) from None
        try:
            return read_credential(text)
        except UnreadableCredential as exc:
            what = "The QR code in that file holds no" if kind_of(data) else "That file holds no"
            raise serializers.ValidationError(f"{what} credential this service reads: {exc}.") from None

    def validate(self, attrs: dict) -> dict:
        return {"document": attrs["file"]}


class CheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField(allow_null=True)
    reason = serializers.CharField()


class VerificationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    signature = CheckSerializer()
    format = CheckSerializer(help_text="the W3C data model's rules: types, ids as URLs, dates, subject")
    issuer = CheckSerializer()
    trust = CheckSerializer()
    validity = CheckSerializer()
    revocation = CheckSerializer()
    credential_id = serializers.CharField(allow_null=True)
    issuer_id = serializers.CharField(allow_null=True)
    issuer_label = serializers.CharField(allow_null=True, help_text="who the issuer is, when this service trusts it")
    certifies = serializers.DictField(
        allow_null=True, help_text="the goods and inspection it attests (batch_number, product, quantity, unit, …)"
    )
    checked_at = serializers.CharField()
