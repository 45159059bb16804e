"""The Inji Certify client against a fake Inji Certify on 127.0.0.1 that enforces the request rules."""

from __future__ import annotations

import logging

import pytest

from certificates.verification import verify_credential
from issuance.inji import PermanentIssuerError, TransientIssuerError, issue_credential
from issuance.inji.certify import InjiCertifyClient
from tests.factories import make_inspection
from tests.fake_inji import FakeInjiCertify


@pytest.fixture
def inji():
    server = FakeInjiCertify().start()
    yield server
    server.stop()


@pytest.fixture
def client(inji):
    return InjiCertifyClient(inji.url, inji.did, api_key=inji.api_key, timeout=2)


@pytest.fixture
def inspection(batch):
    return make_inspection(batch)


def issue(client, inspection):
    return client.issue(inspection.batch, inspection, certificate_key=f"{inspection.pk}:0")


def test_issues_a_credential_signed_by_inji_that_carries_the_batch(client, inji, inspection):
    issued = issue(client, inspection)

    assert issued.via == "inji"
    assert issued.issuer_did == inji.did
    subject = issued.document["credentialSubject"]
    assert subject["assessedProduct"]["batchNumber"] == inspection.batch.batch_number
    assert verify_credential(issued.document).signature.ok is True
    assert inji.last_body["format"] == "ldp_vc"
    assert "AgriQualityCertificate" in inji.last_body["credential_definition"]["type"]


def test_first_request_without_nonce_is_re_signed_once_with_the_servers_c_nonce(client, inji, inspection):
    issue(client, inspection)

    assert inji.requests["POST /v1/certify/issuance/credential"] == 2  # no nonce yet, then re-signed
    issue(client, inspection)
    assert inji.requests["POST /v1/certify/issuance/credential"] == 3  # the c_nonce from the answer is reused


def test_issuer_metadata_is_discovered_once(client, inji, inspection):
    issue(client, inspection)
    issue(client, inspection)

    assert inji.requests["GET /v1/certify/.well-known/openid-credential-issuer"] == 1


def test_an_invalid_proof_without_a_fresh_nonce_is_permanent(client, inji, inspection):
    inji.fail_next("invalid_proof_no_nonce")

    with pytest.raises(PermanentIssuerError, match="invalid_proof"):
        issue(client, inspection)


@pytest.mark.parametrize("fault", ["500", "503", "html", "garbage", "vc_issuance_failed"])
def test_server_errors_garbage_and_issuance_failures_are_transient(client, inji, inspection, fault):
    issue(client, inspection)  # settle the nonce
    inji.fail_next(fault)

    with pytest.raises(TransientIssuerError):
        issue(client, inspection)
    assert issue(client, inspection).issuer_did == inji.did  # the next attempt succeeds


@pytest.mark.parametrize(
    "fault",
    ["invalid_request", "invalid_credential_request", "unsupported_credential_type", "unsupported_credential_format"],
)
def test_validation_refusals_are_permanent_and_name_the_error(client, inji, inspection, fault):
    issue(client, inspection)
    inji.fail_next(fault)

    with pytest.raises(PermanentIssuerError, match=fault):
        issue(client, inspection)


def test_a_stalled_server_times_out_as_a_transient_error(inji, inspection):
    client = InjiCertifyClient(inji.url, inji.did, api_key=inji.api_key, timeout=0.5)
    issue(client, inspection)
    inji.fail_next("stall")
    inji.stall_seconds = 2

    with pytest.raises(TransientIssuerError, match="did not answer within 0.5 s"):
        issue(client, inspection)


def test_an_unreachable_server_is_transient(inspection):
    client = InjiCertifyClient("http://127.0.0.1:9/v1/certify", "did:web:x", api_key="k", timeout=1)

    with pytest.raises(TransientIssuerError, match="could not connect"):
        issue(client, inspection)


def test_a_wrong_api_key_is_permanent_and_never_shown(inji, inspection, caplog):
    client = InjiCertifyClient(inji.url, inji.did, api_key="wrong-key-123456", timeout=2)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(PermanentIssuerError) as error:
        issue(client, inspection)

    assert "INJI_API_KEY" in str(error.value)
    assert "wrong-key-123456" not in str(error.value)
    assert "wrong-key-123456" not in caplog.text


def test_an_expired_oauth_token_is_refreshed_once(inji, inspection):
    client = InjiCertifyClient(
        inji.url,
        inji.did,
        token_url=inji.url + "/oauth/token",
        client_id=inji.client_id,
        client_secret=inji.client_secret,
        timeout=2,
    )
    issue(client, inspection)
    inji.fail_next("invalid_token")  # the server forgets every token it gave out

    issued = issue(client, inspection)

    assert issued.issuer_did == inji.did
    assert inji.requests["POST /v1/certify/oauth/token"] == 2


def test_bad_client_credentials_are_permanent_and_secret_free(inji, inspection):
    client = InjiCertifyClient(
        inji.url, inji.did, token_url=inji.url + "/oauth/token", client_id="agriqcert", client_secret="nope-secret"
    )

    with pytest.raises(PermanentIssuerError, match="INJI_CLIENT_ID") as error:
        issue(client, inspection)
    assert "nope-secret" not in str(error.value)


def test_a_credential_from_another_issuer_is_refused(client, inji, inspection):
    issue(client, inspection)
    inji.fail_next("wrong_issuer")

    with pytest.raises(PermanentIssuerError, match="not INJI_ISSUER_DID"):
        issue(client, inspection)


def test_a_wrong_api_url_is_permanent(inji, inspection):
    client = InjiCertifyClient(inji.url + "/nowhere", inji.did, api_key=inji.api_key)

    with pytest.raises(PermanentIssuerError, match="check INJI_API_URL"):
        issue(client, inspection)


def test_issue_credential_uses_inji_when_mock_mode_is_off(settings, inji, inspection):
    settings.INJI_MOCK_MODE = False
    settings.INJI_API_URL = inji.url
    settings.INJI_API_KEY = inji.api_key
    settings.INJI_ISSUER_DID = inji.did

    issued = issue_credential(inspection.batch, inspection, certificate_key=f"{inspection.pk}:0")

    assert issued.via == "inji" and issued.issuer_did == inji.did
    assert inji.last_authorization == f"Bearer {inji.api_key}"


def test_an_expired_c_nonce_is_replaced_by_re_signing_once(client, inji, inspection):
    issue(client, inspection)
    posts = inji.requests["POST /v1/certify/issuance/credential"]
    inji.expire_nonces()

    issue(client, inspection)

    assert inji.requests["POST /v1/certify/issuance/credential"] == posts + 2


def test_concurrent_jobs_share_the_client_without_nonce_failures(client, inji, batch):
    from concurrent.futures import ThreadPoolExecutor

    from tests.factories import make_batch

    inspections = [make_inspection(make_batch(f"CONC-{n}")) for n in range(8)]
    inji.latency = 0.05
    with ThreadPoolExecutor(8) as pool:
        issued = list(pool.map(lambda i: issue(client, i), inspections))

    assert {i.issuer_did for i in issued} == {inji.did}
