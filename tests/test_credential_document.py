"""The certificate credential: VC 2.0 shape, deterministic id, every term defined by a context."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pyld import jsonld

from certificates.credential_document import build_credential, credential_id
from certificates.vocabulary import own_context
from core.clock import utcnow
from credentials.jsonld import canonicalise, document_loader
from tests.factories import make_inspection


def build(inspection, key="k:0", **kwargs):
    return build_credential(
        inspection.batch, inspection, certificate_key=key, issuer_did="did:key:z6MkTest", issued_at=utcnow(), **kwargs
    )


def leaves(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "@context":
                yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def test_the_credential_carries_the_batch_the_inspection_and_the_exporter(batch):
    inspection = make_inspection(batch, grade="A", organic=True)

    credential = build(inspection)

    assert credential["type"] == ["VerifiableCredential", "AgriQualityCertificate"]
    assert credential["issuer"] == "did:key:z6MkTest"
    subject = credential["credentialSubject"]
    product = subject["assessedProduct"]
    assert (product["batchNumber"], product["product"], product["variety"]) == ("RICE-2026-001", "Rice", "Basmati 1121")
    assert product["hsCode"] == "1006.30" and product["quantity"] == {"type": "Measure", "value": 12500, "unit": "kg"}
    assert (product["originCountry"], product["originRegion"], product["destinationCountry"]) == ("IN", "Punjab", "DE")
    assert product["harvestDate"] == batch.harvest_date.isoformat()
    assessment = subject["assessment"]
    assert assessment["assessingAgency"]["name"] == "National QA Agency"
    readings = {m["metricName"]: m["measure"] for m in assessment["declaredValues"]}
    assert readings["moisture"] == {"type": "Measure", "value": 12.5, "unit": "%"}
    assert readings["pesticideResidue"]["unit"] == "mg/kg"
    assert assessment["grade"] == "A" and assessment["organic"] is True and assessment["conformance"] is True
    assert subject["exporter"]["name"] == batch.exporter_name


def test_validity_follows_the_configured_number_of_days(batch, settings):
    settings.CREDENTIAL_VALIDITY_DAYS = 90
    issued_at = utcnow().replace(microsecond=0)

    credential = build_credential(
        batch, make_inspection(batch), certificate_key="k:0", issuer_did="did:key:z", issued_at=issued_at
    )

    assert credential["validUntil"] == (issued_at + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_verifier_whose_clock_is_behind_still_sees_a_fresh_certificate_as_valid(batch):
    from certificates.trust import verify
    from tests.factories import issue_certificate

    credential = issue_certificate(make_inspection(batch)).credential
    signed_at = datetime.fromisoformat(credential["proof"]["created"].replace("Z", "+00:00"))
    valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))

    assert signed_at - valid_from == timedelta(minutes=5)
    assert verify(credential, now=signed_at - timedelta(minutes=4)).validity.ok is True


def test_the_credential_id_is_derived_from_the_inspection_and_revision(batch):
    inspection = make_inspection(batch)

    assert build(inspection, key="abc:0")["id"] == build(inspection, key="abc:0")["id"] == credential_id("abc:0")
    assert credential_id("abc:0") != credential_id("abc:1")
    assert credential_id("abc:0").startswith("urn:uuid:")


def expanded_leaves(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("@value", "@id"):
                yield item
            elif key == "@type" and "@value" not in value:
                for iri in item if isinstance(item, list) else [item]:
                    yield iri.rsplit("#", 1)[-1]  # a type's IRI ends with its term
            elif key != "@type":
                yield from expanded_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from expanded_leaves(item)


def test_canonicalisation_keeps_every_property(batch):
    credential = build(make_inspection(batch, notes="n"))

    expanded = jsonld.expand(credential, {"documentLoader": document_loader()})

    # JSON-LD drops every property no context defines; nothing may go missing.
    assert sorted(map(str, leaves(credential))) == sorted(map(str, expanded_leaves(expanded)))
    assert "Basmati 1121" in canonicalise(credential)


def test_every_term_is_defined_by_a_context(batch):
    credential = build(make_inspection(batch))
    expanded = jsonld.expand(credential, {"documentLoader": document_loader()})

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                assert key.startswith(("@", "http", "https")), f"undefined term {key}"
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    assert not any("issuer-dependent" in key for key in keys(expanded))
    types = json.dumps(expanded)
    assert "issuer-dependent" not in types


def test_the_context_is_served_at_the_url_credentials_name(client, batch):
    credential = build(make_inspection(batch))
    context_url = credential["@context"][-1]

    response = client.get(context_url.removeprefix("http://localhost:8000"))

    assert context_url == "http://localhost:8000/contexts/agriqcert/v1"
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    assert response.json() == own_context()


def test_credentials_name_the_configured_context_url_and_still_verify_offline(batch, settings):
    from certificates.trust import verify
    from tests.factories import issue_certificate

    settings.CREDENTIAL_CONTEXT_URL = "https://contexts.agriqcert.example/agriqcert/v1"
    credential = issue_certificate(make_inspection(batch)).credential

    assert credential["@context"][-1] == "https://contexts.agriqcert.example/agriqcert/v1"
    assert verify(credential).signature.ok is True


def test_the_app_also_serves_the_context_at_the_configured_urls_path(settings):
    from agriqcert.urls import context_paths

    settings.CREDENTIAL_CONTEXT_URL = settings.SITE_URL + "/ns/agriqcert/v1"

    (pattern,) = context_paths()
    assert str(pattern.pattern) == "ns/agriqcert/v1"
