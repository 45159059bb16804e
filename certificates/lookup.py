"""Finding domain documents from what a user types."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId

from certificates.models import Batch, Certificate, Inspection


def find_batch(number_or_id: str) -> Batch | None:
    batch = Batch.objects(batch_number=number_or_id).first()
    if batch is None:
        try:
            batch = Batch.objects(pk=ObjectId(number_or_id)).first()
        except (InvalidId, TypeError):
            return None
    return batch


def latest_passed_inspection(batch: Batch) -> Inspection | None:
    return Inspection.objects(batch=batch, outcome="passed").order_by("-inspected_at").first()


def find_certificate(id_or_credential_id: str) -> Certificate | None:
    certificate = Certificate.objects(credential_id=id_or_credential_id).first()
    if certificate is None:
        try:
            certificate = Certificate.objects(pk=ObjectId(id_or_credential_id)).first()
        except (InvalidId, TypeError):
            return None
    return certificate
