"""The one receiver of a saved inspection: the batch follows it, and a passed one gets its issuance job.

It lives here, above both owners, because asking for issuance is the issuance app's rule while the
batch's status is the certificates app's (`certificates.lifecycle`), which imports nothing from issuance.
"""

from __future__ import annotations

from typing import Any

from certificates.lifecycle import follow_inspection
from certificates.models import Inspection
from issuance.models import Trigger
from issuance.requests import request_issuance


def inspection_saved(sender: type, document: Inspection, **kwargs: Any) -> None:
    follow_inspection(document)
    # A refusal (a job already on its way, a certificate already issued) is the expected answer
    # to a re-saved inspection: nothing more to do.
    if document.passed:
        request_issuance(document.batch, trigger=Trigger.AUTOMATIC, inspection=document)
