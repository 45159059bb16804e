"""Issuing through Inji Certify v0.14's Pre-Authorized Code flow, against a fake that enforces its rules."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import jwt
import pytest

from issuance.inji import IssuerError, PermanentIssuerError, TransientIssuerError, certify_claims
from issuance.inji.certify import CertifyClient
from issuance.inji.configuration import credential_configuration
from issuance.inji.holder import HolderKey, did_key, generate
from tests.factories import make_inspection
from tests.fake_inji import FakeInjiCertify

GATEWAY_KEY = "gateway-key-7f3e9a41c2"


@pytest.fixture
def inji():
    server = FakeInjiCertify(gateway_key=GATEWAY_KEY).start()
    yield server
    server.stop()


def holder(alg: str = "ES256") -> HolderKey:
    key = generate(alg)
    return HolderKey(key, alg, did_key(key))


def client_for(inji, *, alg: str = "ES256", gateway_key: str = GATEWAY_KEY, timeout: float = 5, **changes):
    options = {"issuer_did": inji.did, "configuration_id": "AgriQualityCertificate", **changes}
    return CertifyClient(inji.url, holder=holder(alg), gateway_key=gateway_key, timeout=timeout, **options)


@pytest.fixture
def claims(batch) -> dict:
    return certify_claims(batch, make_inspection(batch))


@pytest.mark.parametrize("alg", ["ES256", "Ed25519"])
def test_the_flow_yields_a_signed_credential_carrying_exactly_the_pushed_claims(inji, claims, alg):
    issued = client_for(inji, alg=alg).issue(claims, certificate_key="k:0")

    subject = issued.document["credentialSubject"]
    assert {key: subject[key] for key in claims} == claims
    assert subject["type"] == "ProduceQualityAttestation"
    assert issued.issuer_did == inji.did and issued.via == "inji"
    assert issued.document["proof"]["type"] == "Ed25519Signature2020"
    assert issued.status_list_id == inji.url + "/credentials/status-list/agri-1" and issued.status_list_index == 0
    steps = [(entry["method"], entry["path"].removeprefix("/v1/certify")) for entry in inji.log]
    assert steps[-4:] == [
        ("POST", "/pre-authorized-data"),
        ("GET", steps[-3][1]),
        ("POST", "/oauth/token"),
        ("POST", "/issuance/credential"),
    ]
    assert steps[-3][1].startswith("/credential-offer-data/")


def test_the_proof_jwt_is_what_certify_requires(inji, claims):
    client = client_for(inji)
    client.issue(claims, certificate_key="k:0")

    request = json.loads(inji.requests_to("/issuance/credential")[-1]["body"])
    proof = request["proof"]["jwt"]
    header, payload = jwt.get_unverified_header(proof), jwt.decode(proof, options={"verify_signature": False})
    assert header == {"alg": "ES256", "typ": "openid4vci-proof+jwt", "kid": client.holder.kid}
    assert payload["aud"] == inji.identifier  # the credential issuer identifier, without /v1/certify
    assert "iss" not in payload and set(payload) == {"aud", "nonce", "iat"}
    assert request["credential_definition"] == {
        "@context": credential_configuration()["contextURLs"],
        "type": ["VerifiableCredential", "AgriQualityCertificate"],
    }
    assert "credentialSubject" not in request["credential_definition"]  # Certify ignores it


def test_the_gateway_key_goes_only_to_the_pre_authorized_data_and_status_endpoints(inji, claims):
    client = client_for(inji)
    issued = client.issue(claims, certificate_key="k:0")
    client.revoke(issued.document["credentialStatus"])

    carrying = {entry["path"] for entry in inji.log if GATEWAY_KEY in json.dumps(entry["headers"])}
    assert carrying == {"/v1/certify/pre-authorized-data", "/v1/certify/credentials/v2/status"}


def test_without_the_gateway_key_the_push_is_refused_for_good_naming_the_setting(inji, claims):
    with pytest.raises(PermanentIssuerError, match="INJI_API_KEY"):
        client_for(inji, gateway_key="").issue(claims, certificate_key="k:0")


def test_a_claim_certify_does_not_know_is_a_permanent_refusal(inji, claims):
    with pytest.raises(PermanentIssuerError, match="unknown_claims"):
        client_for(inji).issue({**claims, "secretNote": "x"}, certificate_key="k:0")


def test_an_unknown_configuration_is_refused_before_anything_is_pushed(inji, claims):
    with pytest.raises(PermanentIssuerError, match="INJI_CREDENTIAL_CONFIGURATION_ID"):
        client_for(inji, configuration_id="SomethingElse").issue(claims, certificate_key="k:0")
    assert inji.requests_to("/pre-authorized-data") == []


def test_a_proof_algorithm_certify_does_not_list_is_refused_naming_the_setting(claims):
    inji = FakeInjiCertify(proof_algs=("RS256", "PS256", "ES256")).start()
    try:
        with pytest.raises(PermanentIssuerError, match="INJI_PROOF_ALG"):
            client_for(inji, alg="Ed25519").issue(claims, certificate_key="k:0")
    finally:
        inji.stop()


def test_a_stale_nonce_is_answered_by_signing_again_once(inji, claims):
    inji.stale_nonces = 1

    issued = client_for(inji).issue(claims, certificate_key="k:0")

    assert issued.document["credentialSubject"]["exporter"] == claims["exporter"]
    assert len(inji.requests_to("/issuance/credential")) == 2


def test_a_nonce_refused_twice_is_transient(inji, claims):
    inji.stale_nonces = 2

    with pytest.raises(TransientIssuerError, match="nonce"):
        client_for(inji).issue(claims, certificate_key="k:0")


def test_a_spent_code_is_transient_so_the_retry_starts_from_the_push(inji, claims):
    client = client_for(inji)
    endpoints = client.endpoints()
    code = client.pre_authorized_code(client.push(claims))
    client.exchange(endpoints, code)

    with pytest.raises(TransientIssuerError, match="spent"):
        client.exchange(endpoints, code)


def test_a_proof_signed_by_another_key_is_refused_for_good(inji, claims):
    client = client_for(inji)
    impostor = generate("ES256")
    client.holder = HolderKey(impostor, "ES256", client.holder.did)  # the kid names another key

    with pytest.raises(PermanentIssuerError, match="invalid_proof"):
        client.issue(claims, certificate_key="k:0")


def test_a_certify_that_refuses_its_own_tokens_is_a_permanent_misconfiguration(inji, claims):
    inji.rejects_its_own_tokens = True

    with pytest.raises(PermanentIssuerError, match="invalid_token.*mosip.certify.authn"):
        client_for(inji).issue(claims, certificate_key="k:0")


@pytest.mark.parametrize("fault", ["500", "503", "garbage", "html"])
@pytest.mark.parametrize("path", ["/pre-authorized-data", "/oauth/token", "/issuance/credential"])
def test_server_faults_at_every_step_are_transient(inji, claims, fault, path):
    inji.fail_next(path, fault)

    with pytest.raises(TransientIssuerError) as failed:
        client_for(inji).issue(claims, certificate_key="k:0")

    message = str(failed.value)  # operators read it: no "(503 )" or "502 : "
    assert " )" not in message and " :" not in message and ": )" not in message, message


def test_a_stalled_answer_is_a_transient_timeout(inji, claims):
    inji.stall_seconds = 3
    inji.fail_next("/issuance/credential", "stall")

    with pytest.raises(TransientIssuerError, match="did not answer the credential step within 1 s"):
        client_for(inji, timeout=1).issue(claims, certificate_key="k:0")


def test_a_credential_from_another_issuer_is_refused(inji, claims):
    with pytest.raises(PermanentIssuerError, match="not INJI_ISSUER_DID"):
        client_for(inji, issuer_did="did:web:certify.example.org").issue(claims, certificate_key="k:0")


def test_a_credential_whose_claims_were_changed_is_refused(claims):
    configuration = credential_configuration()
    template = base64.b64decode(configuration["vcTemplate"]).decode()
    tampered = template.replace('"exporter": $exporter', '"exporter": {"type": "Organization", "name": "Someone else"}')
    configuration["vcTemplate"] = base64.b64encode(tampered.encode()).decode()
    inji = FakeInjiCertify(configuration).start()
    try:
        with pytest.raises(PermanentIssuerError, match=r"does not carry the claims we pushed \(exporter differ"):
            client_for(inji, gateway_key="").issue(claims, certificate_key="k:0")
    finally:
        inji.stop()


def test_an_endpoint_on_another_origin_is_refused_and_never_called(inji, claims):
    inji.metadata_overrides = {"credential_endpoint": "http://127.0.0.2:9/v1/certify/issuance/credential"}

    with pytest.raises(PermanentIssuerError, match="outside INJI_API_URL's origin"):
        client_for(inji).issue(claims, certificate_key="k:0")
    assert inji.requests_to("/pre-authorized-data") == []


def test_no_error_message_carries_a_secret(inji, claims):
    messages = []
    for path, fault in (("/oauth/token", "500"), ("/issuance/credential", "503"), ("/pre-authorized-data", "html")):
        inji.fail_next(path, fault)
        with pytest.raises(IssuerError) as error:
            client_for(inji).issue(claims, certificate_key="k:0")
        messages.append(str(error.value))
    with pytest.raises(IssuerError) as error:
        client_for(inji, gateway_key=GATEWAY_KEY + "-wrong").issue(claims, certificate_key="k:0")
    messages.append(str(error.value))

    codes = [parse_qs(e["body"].decode()).get("pre-authorized_code", [""])[0] for e in inji.requests_to("/oauth/token")]
    assert len(messages) == 4 and all(codes)
    for message in messages:
        assert GATEWAY_KEY not in message
        assert not any(code in message for code in codes)


def test_revocation_reaches_certifys_status_list(inji, claims):
    client = client_for(inji)
    issued = client.issue(claims, certificate_key="k:0")
    entry = issued.document["credentialStatus"]

    client.revoke(entry)

    assert inji.revoked(entry["statusListCredential"], int(entry["statusListIndex"]))
    sent = json.loads(inji.requests_to("/credentials/v2/status")[-1]["body"])
    assert "id" not in sent["credentialStatus"]  # an id other than the list's is refused (STATUS_ID_MISMATCH)


def test_the_oauth_metadata_is_found_under_the_servlet_path_where_certify_serves_it(inji, claims):
    client_for(inji).issue(claims, certificate_key="k:0")

    asked = [entry["path"] for entry in inji.log if entry["path"].endswith("/oauth-authorization-server")]
    assert asked == ["/.well-known/oauth-authorization-server", "/v1/certify/.well-known/oauth-authorization-server"]
