"""The enqueue hook: a passed inspection gets exactly one issuance job."""

from __future__ import annotations

from typing import Any

from certificates.models import Certificate, Inspection, certificate_key
from issuance import queue
from issuance.models import Trigger


def enqueue_passed_inspection(sender: type, document: Inspection, **kwargs: Any) -> None:
    if not document.passed:
        return
    # A job that succeeded may have expired (30-day retention); its certificate still stands.
    if Certificate.objects(certificate_key=certificate_key(document.pk)).only("id").first():
        return
    queue.enqueue(document, trigger=Trigger.AUTOMATIC)
