"""The VC Data Model's MUSTs a verifier enforces: each broken rule makes a credential not valid, and
the reason names the rule. Which inputs must be refused follows the W3C's
vc-data-model-2.0-test-suite; 1.1 credentials (as Inji deployments issue) get 1.1's rules."""

from __future__ import annotations

import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.data_model import DataModelError, check_data_model
from credentials.keys import SigningKey
from credentials.policy import VerificationPolicy
from credentials.proofs import sign_ed25519_2020
from credentials.verification import verify_credential
from tests.shared_vectors import MOSIP

V2 = "https://www.w3.org/ns/credentials/v2"
V1 = "https://www.w3.org/2018/credentials/v1"


def credential(**changes) -> dict:
    document = {
        "@context": [V2, "https://w3id.org/security/suites/ed25519-2020/v1"],
        "id": "urn:uuid:3c1f0a3e-5d7b-4c1e-9a57-1b2c3d4e5f60",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2025-01-01T00:00:00Z",
        "validUntil": "2027-01-01T00:00:00+05:30",
        "credentialSubject": {"id": "did:example:holder"},
    }
    document.update(changes)
    return {key: value for key, value in document.items() if value is not None}


def v1_credential(**changes) -> dict:
    document = credential(**{"@context": [V1], "validFrom": None, "validUntil": None})
    document["issuanceDate"] = "2025-01-01T00:00:00Z"
    document.update(changes)
    return {key: value for key, value in document.items() if value is not None}


REFUSED = {
    # Contexts
    "no @context": (credential(**{"@context": None}), "has no @context (VC Data Model 2.0: Contexts)"),
    "another first context": (
        credential(**{"@context": ["https://www.w3.org/ns/credentials/examples/v2", V2]}),
        "the first @context must be https://www.w3.org/ns/credentials/v2",
    ),
    "a context that is a number": (credential(**{"@context": [V2, 123192875]}), "item 2 is neither a URL"),
    "a context that is not a URL": (credential(**{"@context": [V2, "https ://not-a-url/v1"]}), "item 2"),
    # Types
    "no type": (credential(type=None), "has no type (VC Data Model 2.0: Types)"),
    "no VerifiableCredential type": (credential(type=["RelationshipCredential"]), "must include VerifiableCredential"),
    "a type that is a number": (credential(type=["VerifiableCredential", 2]), "must include VerifiableCredential"),
    "a nested type that is not a string": (
        credential(credentialSubject={"id": "did:example:holder", "type": {"nested": True}}),
        "the type of credentialSubject must be a string or a list of strings (VC Data Model 2.0: Types)",
    ),
    # Identifiers
    "an id that is a list": (
        credential(id=["https://example.org/credentials/1", "https://example.net/credentials/1"]),
        "the id of credential must be a single URL (VC Data Model 2.0: Identifiers)",
    ),
    "an id that is not a URL": (credential(id="https ://not-a-url/vcs/1"), "the id of credential must be"),
    "an id with no scheme": (credential(id="credential-1"), "the id of credential must be"),
    "an http id with no host": (credential(id="https:///vcs/1"), "the id of credential must be"),
    "a subject id that is a list": (
        credential(credentialSubject={"id": ["did:example:one", "did:example:two"]}),
        "the id of credentialSubject must be a single URL",
    ),
    # Issuer
    "no issuer": (credential(issuer=None), "has no issuer (VC Data Model 2.0: Issuer)"),
    "an issuer that is not a URL": (credential(issuer="fake-issuer"), "the issuer must be a URL"),
    "an issuer object without an id": (credential(issuer={"name": "Someone"}), "the issuer must be a URL"),
    "an issuer object whose id is not a URL": (credential(issuer={"id": "fake-issuer"}), "the issuer must be"),
    # Credential subject
    "no subject": (credential(credentialSubject=None), "has no credentialSubject"),
    "an empty subject": (credential(credentialSubject={}), "credentialSubject must be one or more objects"),
    "an empty subject among others": (
        credential(credentialSubject=[{"id": "did:example:holder"}, {}]),
        "each making a claim (VC Data Model 2.0: Credential Subject)",
    ),
    "an empty list of subjects": (credential(credentialSubject=[]), "credentialSubject must be"),
    "a subject that is a string": (credential(credentialSubject="did:example:holder"), "credentialSubject must"),
    # Validity period
    "a validFrom that is not a date": (
        credential(validFrom="Sat 25 Feb 2023 07:16:31 PM CST"),
        "validFrom must be an XML Schema dateTimeStamp (with a time zone)",
    ),
    "a validFrom with no time zone": (credential(validFrom="2025-01-01T00:00:00"), "validFrom must be"),
    "a validFrom that is only a date": (credential(validFrom="2025-01-01"), "validFrom must be"),
    "a validUntil in another format": (
        credential(validUntil="Sun, 26 Feb 2023 01:22:14 +0000"),
        "validUntil must be an XML Schema dateTimeStamp",
    ),
    "a validUntil that is a number": (credential(validUntil=1767225600), "validUntil must be"),
    "a day that does not exist": (credential(validFrom="2025-02-30T00:00:00Z"), "is not a date and time that exists"),
    "validUntil before validFrom": (
        credential(validFrom="2026-01-01T00:00:00Z", validUntil="2025-01-01T00:00:00Z"),
        "validFrom is later than validUntil (VC Data Model 2.0: Validity Period)",
    ),
    # Status, schemas, evidence, refreshing, terms of use
    "a credentialStatus without a type": (
        credential(credentialStatus={"id": "https://example.org/status/1#4"}),
        "each credentialStatus must have a type (VC Data Model 2.0: Status)",
    ),
    "a credentialStatus whose type is a number": (
        credential(credentialStatus={"id": "https://example.org/status/1#4", "type": 2}),
        "the type of credentialStatus must be a string",
    ),
    "a credentialStatus whose id is a list": (
        credential(credentialStatus={"id": ["did:example:status:1", "did:example:status:2"], "type": "X"}),
        "the id of credentialStatus must be a single URL",
    ),
    "a credentialStatus whose id is not a URL": (
        credential(credentialStatus={"id": "https ://not-a-url/statusList/4", "type": "X"}),
        "the id of credentialStatus must be a single URL",
    ),
    "a credentialStatus that is a string": (credential(credentialStatus="revoked"), "credentialStatus must be one"),
    "a credentialSchema without a type": (
        credential(credentialSchema={"id": "https://example.org/schemas/1"}),
        "each credentialSchema must have a type (VC Data Model 2.0: Data Schemas)",
    ),
    "a credentialSchema without an id": (
        credential(credentialSchema={"type": "JsonSchema"}),
        "each credentialSchema must have an id that is a URL",
    ),
    "a credentialSchema whose id is not a URL": (
        credential(credentialSchema={"type": "JsonSchema", "id": "https ://not-a-url.org/schema"}),
        "the id of credentialSchema must be a single URL",
    ),
    "evidence without a type": (
        credential(evidence={}),
        "each evidence must have a type (VC Data Model 2.0: Evidence)",
    ),
    "evidence among others without a type": (
        credential(evidence=[{"type": "DocumentVerification"}, {"id": "https://example.org/evidence/2"}]),
        "each evidence must have a type",
    ),
    "a refreshService without a type": (
        credential(refreshService={"id": "https://example.org/refresh/1"}),
        "each refreshService must have a type (VC Data Model 2.0: Refreshing)",
    ),
    "termsOfUse without a type": (
        credential(termsOfUse={"id": "https://example.org/terms/1"}),
        "each termsOfUse must have a type (VC Data Model 2.0: Terms of Use)",
    ),
    # Related resources
    "a relatedResource that is a string": (
        credential(relatedResource=["https://example.org/logo.png"]),
        "relatedResource must be one or more objects",
    ),
    "a relatedResource without an id": (
        credential(relatedResource=[{"digestMultibase": "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"}]),
        "each relatedResource must have its own id, a URL",
    ),
    "two relatedResources with one id": (
        credential(
            relatedResource=[
                {"id": "https://example.org/a", "digestSRI": "sha384-x"},
                {"id": "https://example.org/a", "digestMultibase": "uEiB"},
            ]
        ),
        "its own id",
    ),
    "a relatedResource without a digest": (
        credential(relatedResource=[{"id": "https://example.org/a"}]),
        "must have a digestSRI or digestMultibase (VC Data Model 2.0: Integrity of Related Resources)",
    ),
    # Names and descriptions
    "a name with extra properties": (
        credential(name={"@value": "Example", "@language": "en", "url": "did:example:credential"}),
        "the name of the credential must be a string or language value objects (VC Data Model 2.0: Names",
    ),
    "an issuer description that is a number": (
        credential(issuer={"id": "did:example:issuer", "description": 42}),
        "the description of the issuer must be",
    ),
    # 1.1's own rules
    "a 1.1 credential without issuanceDate": (
        v1_credential(issuanceDate=None),
        "has no issuanceDate (VC Data Model 1.1: Issuance Date)",
    ),
    "a 1.1 issuanceDate that is not a date": (v1_credential(issuanceDate="17/09/2024"), "issuanceDate must be"),
    "a 1.1 expirationDate that is not a date": (
        v1_credential(expirationDate="tomorrow"),
        "expirationDate must be an XML Schema dateTime, such as 2025-01-31T12:00:00Z (VC Data Model 1.1: Expiration)",
    ),
    "a 1.1 credentialStatus without an id": (
        v1_credential(credentialStatus={"type": "StatusList2021Entry"}),
        "each credentialStatus must have an id that is a URL (VC Data Model 1.1: Status)",
    ),
    "a 1.1 refreshService without an id": (
        v1_credential(refreshService={"type": "ManualRefreshService2018"}),
        "each refreshService must have an id",
    ),
}


@pytest.mark.parametrize("document, rule", REFUSED.values(), ids=REFUSED.keys())
def test_a_credential_that_breaks_a_rule_is_refused_naming_it(document, rule):
    with pytest.raises(DataModelError) as refused:
        check_data_model(document)

    assert rule in str(refused.value)


ACCEPTED = {
    "a minimal 2.0 credential": credential(),
    "a string @context": credential(**{"@context": V2}),
    "an inline context": credential(**{"@context": [V2, {"Example": "https://example.org/#Example"}]}),
    "types in any order": credential(type=["https://example.org/#A", "VerifiableCredential"]),
    "a single type string": credential(type="VerifiableCredential"),
    "an issuer object": credential(issuer={"id": "https://example.org/issuer", "name": "Example"}),
    "no id at all": credential(id=None),
    "several subjects": credential(credentialSubject=[{"id": "did:example:a"}, {"name": "B"}]),
    "fractions of a second and offsets": credential(validFrom="2023-02-26T01:02:58.4474747-06:00"),
    "a far-future validFrom": credential(validFrom="4023-02-26T01:02:58.447Z", validUntil=None),
    "a status entry without an id": credential(credentialStatus={"type": "BitstringStatusListEntry"}),
    "language value names": credential(name=[{"@value": "Dog", "@language": "en"}, {"@value": "Chien"}]),
    "a related resource": credential(
        relatedResource={"id": "https://example.org/logo.png", "digestSRI": "sha384-abc", "mediaType": "image/png"}
    ),
    "a 1.1 credential with a local time": v1_credential(expirationDate="2027-01-01T00:00:00"),
}


@pytest.mark.parametrize("document", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_credential_that_keeps_the_rules_is_accepted(document):
    assert check_data_model(document) in ("2.0", "1.1")


@pytest.mark.parametrize(
    "name, version",
    [
        ("mosipUnrevokedVC.json", "2.0"),
        ("mosipRevokedStatusList.json", "2.0"),
        ("vcRevoked-https.json", "2.0"),
        ("Ed25519Signature2020SignedSunbirdVC.json", "1.1"),
        ("PS256SignedMosipVC.json", "1.1"),
        ("ES256KSignedMockVC.json", "1.1"),
    ],
)
def test_credentials_inji_deployments_issue_keep_their_versions_rules(name, version):
    document = json.loads((MOSIP / "ldp_vc" / name).read_text())

    assert check_data_model(document) == version


def test_a_signed_credential_from_a_trusted_issuer_that_breaks_a_rule_is_not_valid():
    issuer = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    policy = VerificationPolicy(trusted_issuers=frozenset({issuer.did}))
    good = credential(issuer=issuer.did)
    bad = copy.deepcopy(good)
    bad["credentialStatus"] = {"id": "https://example.org/status/1#4"}

    kept = verify_credential(sign_ed25519_2020(good, issuer, "2025-01-01T00:00:00Z"), policy=policy)
    broken = verify_credential(sign_ed25519_2020(bad, issuer, "2025-01-01T00:00:00Z"), policy=policy)

    assert kept.valid and kept.format.reason == "it follows the W3C Verifiable Credentials Data Model 2.0"
    assert broken.signature.ok is True and not broken.valid
    assert broken.format.ok is False
    assert broken.format.reason == "each credentialStatus must have a type (VC Data Model 2.0: Status)"
