"""The quality certificate as a W3C Verifiable Credential (VC Data Model 2.0).

Its subject follows the shape of the UN Transparency Protocol's Digital Conformity Credential: an
attestation about an assessed product (the batch) with an assessment (the inspection) that carries
declared values with units and a conformance verdict. Every term is defined by the W3C credentials
context or the project's own context (certificates/contexts/agriqcert-v1.jsonld).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings

from certificates.models import Batch, Inspection
from certificates.vocabulary import context_url
from credentials.jsonld import CREDENTIALS_V2, ED25519_2020

CREDENTIAL_TYPE = "AgriQualityCertificate"
# validFrom lies this far before the signing time: a verifier whose clock is a few seconds (or
# minutes) behind the issuer's must not see a fresh certificate as "not yet valid" (Inji Verify
# refuses a validFrom more than 3 s in its future: ERR_VALID_FROM_IS_FUTURE_DATE).
CLOCK_SKEW_MARGIN = timedelta(minutes=5)
# Fixed forever: credential ids derive from it, and re-deriving must give the same id.
CREDENTIAL_NAMESPACE = uuid.UUID("5b0f3c36-6a43-4f0a-9a52-4f1f0e0c9a11")


def credential_id(certificate_key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(CREDENTIAL_NAMESPACE, certificate_key)}"


def xsd_datetime(moment: datetime) -> str:
    if moment.tzinfo is None:  # MongoDB datetimes are UTC even when a driver hands them back naive
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def contexts() -> list[str]:
    return [CREDENTIALS_V2, ED25519_2020, context_url()]


def _metric(name: str, value: float | None, unit: str) -> dict | None:
    if value is None:
        return None
    return {"type": "Metric", "metricName": name, "measure": {"type": "Measure", "value": value, "unit": unit}}


def credential_subject(batch: Batch, inspection: Inspection) -> dict:
    product = {
        "type": "ProduceBatch",
        "batchNumber": batch.batch_number,
        "product": batch.product,
        "variety": batch.variety,
        "hsCode": batch.hs_code,
        "quantity": {"type": "Measure", "value": batch.quantity, "unit": batch.unit},
        "originCountry": batch.origin_country,
        "originRegion": batch.origin_region,
        "farm": batch.farm,
        "harvestDate": batch.harvest_date.isoformat() if batch.harvest_date else None,
        "destinationCountry": batch.destination_country,
    }
    metrics = [
        _metric("moisture", inspection.moisture_percent, "%"),
        _metric("pesticideResidue", inspection.pesticide_residue_mg_per_kg, "mg/kg"),
        _metric("foreignMatter", inspection.foreign_matter_percent, "%"),
    ]
    assessment = {
        "type": "QualityAssessment",
        "assessmentDate": xsd_datetime(inspection.inspected_at),
        "assessingAgency": {"type": "Organization", "name": inspection.agency},
        "declaredValues": [metric for metric in metrics if metric],
        "grade": inspection.grade,
        "organic": bool(inspection.organic),
        "outcome": inspection.outcome,
        "conformance": inspection.passed,
    }
    return {
        "type": "ProduceQualityAttestation",
        "exporter": {"type": "Organization", "name": batch.exporter_name},
        "assessedProduct": _without_empty(product),
        "assessment": _without_empty(assessment),
    }


def build_credential(
    batch: Batch,
    inspection: Inspection,
    *,
    certificate_key: str,
    issuer_did: str,
    issued_at: datetime,
    status_entry: dict | None = None,
) -> dict:
    """The unsigned credential; the same inputs always give the same document."""
    valid_until = issued_at + timedelta(days=settings.CREDENTIAL_VALIDITY_DAYS)
    credential = {
        "@context": contexts(),
        "id": credential_id(certificate_key),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer_did,
        "validFrom": xsd_datetime(issued_at - CLOCK_SKEW_MARGIN),
        "validUntil": xsd_datetime(valid_until),
        "credentialSubject": credential_subject(batch, inspection),
    }
    if status_entry:
        credential["credentialStatus"] = status_entry
    return credential


def _without_empty(values: dict) -> dict:
    return {key: value for key, value in values.items() if value not in (None, "", [])}
