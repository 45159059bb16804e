"""deploy/inji/ tells Inji Certify exactly what the client asks for: contexts, types, claim names."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from django.core.management import call_command

from certificates.credential_document import contexts
from issuance.inji import certify_claims
from issuance.inji.configuration import CLAIMS, template
from tests.factories import make_inspection
from tests.fake_inji import java_json, render_velocity

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "inji"


def configuration(capsys) -> dict:
    call_command("inji_credential_configuration")
    return json.loads(capsys.readouterr().out)


def test_the_configuration_names_the_contexts_and_types_the_client_requests(capsys):
    printed = configuration(capsys)

    assert printed["contextURLs"] == contexts()
    assert printed["credentialTypes"] == ["VerifiableCredential", "AgriQualityCertificate"]
    assert printed["credentialFormat"] == "ldp_vc" and printed["credentialStatusPurposes"] == ["revocation"]
    assert printed["signatureCryptoSuite"] == "Ed25519Signature2020"  # what Inji Verify accepts


def test_the_configuration_lists_exactly_the_claims_we_push(capsys, batch):
    pushed = certify_claims(batch, make_inspection(batch))

    assert set(configuration(capsys)["credentialSubjectDefinition"]) == set(pushed) == set(CLAIMS)


def test_the_template_uses_every_pushed_claim_and_the_deployments_context(capsys, batch):
    pushed = certify_claims(batch, make_inspection(batch))
    shipped = base64.b64decode(configuration(capsys)["vcTemplate"]).decode()
    referenced = set(re.findall(r"\$(?:_esc\.json\(\$)?\{?([A-Za-z][A-Za-z0-9_]*)", shipped))

    assert shipped == template() and contexts()[-1] in shipped and "@@" not in shipped
    assert set(pushed) <= referenced
    assert referenced - set(pushed) == {"validFrom", "validUntil"}  # and $_issuer: Certify's own


def test_the_template_renders_to_a_credential_carrying_the_claims(batch):
    pushed = certify_claims(batch, make_inspection(batch))
    params = {**{k: java_json(v) for k, v in pushed.items()}, "_issuer": "did:key:z6Mk", "validFrom": "x"}

    rendered = json.loads(render_velocity(template(), {**params, "validUntil": "y"}))

    assert rendered["@context"] == contexts()
    assert {key: rendered["credentialSubject"][key] for key in pushed} == pushed


def test_the_properties_enable_the_pre_authorized_flow_and_both_proof_algorithms():
    properties = (DEPLOY / "certify-agriqcert.properties").read_text()

    assert "mosip.certify.integration.data-provider-plugin=PreAuthDataProviderPlugin" in properties
    assert "urn:ietf:params:oauth:grant-type:pre-authorized_code" in properties
    assert "'ES256', 'Ed25519'" in properties and "EdDSA'" not in properties


# The keys Certify v0.14.0 reads: PreAuthorizedCodeService.java lines 52-58 (@Value), and the JSON
# names of MetaDataDisplayDTO.java (@JsonProperty); anything else is ignored without a word.
PRE_AUTH_KEYS = {
    "mosip.certify.pre-auth.default-expiry-seconds",
    "mosip.certify.pre-auth.min-expiry-seconds",
    "mosip.certify.pre-auth.max-expiry-seconds",
}
DISPLAY_FIELDS = {"logo", "name", "locale", "text_color", "background_color", "background_image"}


def test_the_offer_lifetime_properties_are_ones_certify_reads_and_allow_what_we_ask():
    from issuance.inji.certify import OFFER_LIFETIME_SECONDS

    lines = (DEPLOY / "certify-agriqcert.properties").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line.startswith("mosip.certify.pre-auth"))

    assert set(values) == PRE_AUTH_KEYS
    low, high = (
        int(values["mosip.certify.pre-auth.min-expiry-seconds"]),
        int(values["mosip.certify.pre-auth.max-expiry-seconds"]),
    )
    assert low <= OFFER_LIFETIME_SECONDS <= high


def test_the_display_uses_the_names_certify_reads(capsys):
    for display in configuration(capsys)["metaDataDisplay"]:
        assert set(display) <= DISPLAY_FIELDS
        assert {"name", "background_color", "text_color"} <= set(display)
