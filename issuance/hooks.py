"""The enqueue hook: a passed inspection gets exactly one issuance job."""

from __future__ import annotations

from typing import Any

from certificates.models import Inspection
from issuance.models import Trigger
from issuance.requests import request_issuance


def enqueue_passed_inspection(sender: type, document: Inspection, **kwargs: Any) -> None:
    # A refusal (a job already on its way, a certificate already issued) is the expected answer
    # to a re-saved inspection: nothing more to do.
    if document.passed:
        request_issuance(document.batch, trigger=Trigger.AUTOMATIC, inspection=document)
