"""Finding domain documents from what a user types."""

from __future__ import annotations

from certificates.models import Batch, Certificate, Inspection, InspectionOutcome
from core.documents import object_id


def find_batch(number_or_id: str) -> Batch | None:
    batch = Batch.objects(batch_number=number_or_id).first()
    key = object_id(number_or_id) if batch is None else None
    return Batch.objects(pk=key).first() if key is not None else batch


def latest_passed_inspection(batch: Batch) -> Inspection | None:
    return Inspection.objects(batch=batch, outcome=InspectionOutcome.PASSED).order_by("-inspected_at").first()


def find_certificate(id_or_credential_id: str) -> Certificate | None:
    certificate = Certificate.objects(credential_id=id_or_credential_id).first()
    key = object_id(id_or_credential_id) if certificate is None else None
    return Certificate.objects(pk=key).first() if key is not None else certificate
