"""A batch's status follows its latest inspection and certificate."""

from __future__ import annotations

from typing import Any

from certificates.models import Batch, BatchStatus, Inspection


def follow_inspection(sender: type, document: Inspection, **kwargs: Any) -> None:
    latest = Inspection.objects(batch=document.batch).order_by("-inspected_at").only("id").first()
    if latest is None or latest.pk != document.pk:
        return
    status = BatchStatus.AWAITING_CERTIFICATE if document.passed else BatchStatus.INSPECTION_FAILED
    # A certified batch stays certified when an inspection is re-saved.
    Batch.objects(pk=document.batch.pk, status__ne=BatchStatus.CERTIFIED).update_one(set__status=status)
