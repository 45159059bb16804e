"""A certificate verified the way MOSIP Inji Verify (vc-verifier 1.8) does it in the field.

Inji Verify bundles no contexts and caches nothing: it fetches every `@context` and the status list
over HTTP(S) at exactly the URLs inside the credential (vc-verifier `utils/Util.kt`,
`LdpStatusChecker.kt`). Its Ed25519Signature2020 check comes from ld-signatures-java, whose
`URDNA2015Canonicalizer` canonicalises the proof options under the `https://w3id.org/security/v3`
context only (`LdProof.DEFAULT_JSONLD_CONTEXTS`), not under the credential's contexts; the
signed bytes are sha256(proof options) + sha256(credential without proof).

Here the app runs as a real server; the credential's own context and status list must come from
it over HTTP. The W3C contexts (w3.org, w3id.org) would be fetched from the internet, which these
machines cannot reach; they come from PyLD's copies. security/v3 is ld-signatures-java's own
unpublished file (security-v3-unstable.jsonld); every term a proof carries has the same IRI and type
in the Ed25519Signature2020 suite context, so that context stands in for it (not copied here).
Nothing of the app's own is preloaded, and none of the app's verification code is used.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import base58
import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyld import BUNDLED_CONTEXTS, jsonld

SECURITY_V3 = "https://w3id.org/security/v3"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
INTERNET_CONTEXTS = {"https://www.w3.org/ns/credentials/v2", ED25519_2020}


class InjiVerifyStyle:
    """Fetches what the credential names, over HTTP, and records every URL it fetched."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.fetched: list[str] = []

    def load(self, url: str, options=None) -> dict:
        if url in INTERNET_CONTEXTS or url == SECURITY_V3:
            document = BUNDLED_CONTEXTS[ED25519_2020 if url == SECURITY_V3 else url]
            document = json.loads(document.read_text()) if isinstance(document, Path) else document
        else:
            assert url.startswith(self.server + "/"), f"the credential names {url}, which no verifier can fetch"
            response = requests.get(url, timeout=10, headers={"Accept": "application/ld+json, application/json"})
            response.raise_for_status()
            self.fetched.append(url)
            document = response.json()
        return {"contextUrl": None, "documentUrl": url, "document": document}

    def canonical(self, document: dict) -> bytes:
        nquads = jsonld.normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": self.load}
        )
        return nquads.encode()

    def signature_is_valid(self, credential: dict) -> bool:
        proof = dict(credential["proof"])
        signature = base58.b58decode(proof.pop("proofValue")[1:])  # multibase 'z': base58btc
        options = {"@context": [SECURITY_V3], **proof}
        unsigned = {k: v for k, v in credential.items() if k != "proof"}
        signed = hashlib.sha256(self.canonical(options)).digest() + hashlib.sha256(self.canonical(unsigned)).digest()
        try:
            self.public_key(proof["verificationMethod"]).verify(signature, signed)
        except InvalidSignature:
            return False
        return True

    def public_key(self, method: str) -> Ed25519PublicKey:
        did = method.split("#")[0]
        if did.startswith("did:key:"):
            multibase = did.removeprefix("did:key:")
        else:
            # did:web:<host> is https://<host>/.well-known/did.json; the test server speaks http.
            assert did == "did:web:" + quote(urlsplit(self.server).netloc, safe=""), did
            document = requests.get(self.server + "/.well-known/did.json", timeout=10).json()
            self.fetched.append(self.server + "/.well-known/did.json")
            assert document["id"] == did and method in document["assertionMethod"]
            (entry,) = [entry for entry in document["verificationMethod"] if entry["id"] == method]
            assert entry["controller"] == did and entry["type"] == "Ed25519VerificationKey2020"
            multibase = entry["publicKeyMultibase"]
        multicodec = base58.b58decode(multibase.removeprefix("z"))
        assert multicodec[:2] == b"\xed\x01", "an Ed25519 key"
        return Ed25519PublicKey.from_public_bytes(multicodec[2:])

    def revoked(self, credential: dict) -> bool:
        entry = credential["credentialStatus"]
        status_list = self.load(entry["statusListCredential"])["document"]
        assert self.signature_is_valid(status_list), "the status list is signed by the issuer"
        assert status_list["issuer"] == credential["issuer"]
        encoded = status_list["credentialSubject"]["encodedList"]
        assert encoded.startswith("u"), "multibase base64url"
        bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
        index = int(entry["statusListIndex"])
        return bool(bits[index // 8] & (0x80 >> (index % 8)))

    def valid_from_is_not_future(self, credential: dict) -> bool:
        # DateUtils.kt: at most 3 s of clock skew is forgiven.
        valid_from = datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
        return valid_from <= datetime.now(UTC) + timedelta(seconds=3)


@pytest.fixture
def served(live_server, settings, batch):
    """The app on a real HTTP server, with the URLs it signs into credentials pointing at it."""
    from tests.factories import issue_certificate, make_inspection

    settings.SITE_URL = live_server.url
    settings.CREDENTIAL_CONTEXT_URL = live_server.url + "/contexts/agriqcert/v1"
    certificate = issue_certificate(make_inspection(batch))
    return certificate, InjiVerifyStyle(live_server.url)


def test_a_genuine_certificate_verifies_from_its_urls_alone(served):
    certificate, verifier = served
    credential = certificate.credential

    assert verifier.signature_is_valid(credential)
    assert not verifier.revoked(credential)
    assert verifier.valid_from_is_not_future(credential)
    assert credential["@context"][-1] in verifier.fetched, "our context came from the server over HTTP"
    assert credential["credentialStatus"]["statusListCredential"] in verifier.fetched


def test_a_revoked_certificate_is_seen_revoked_from_the_fetched_status_list(served):
    from certificates.lifecycle import revoke

    certificate, verifier = served
    revoke(certificate, by="staff", reason="Aflatoxin found on re-test")

    assert verifier.signature_is_valid(certificate.credential), "revoking does not break the signature"
    assert verifier.revoked(certificate.credential)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c["credentialSubject"]["assessedProduct"].update(product="Saffron"), id="product"),
        pytest.param(lambda c: c.update(validUntil="2099-01-01T00:00:00Z"), id="validity"),
        pytest.param(lambda c: c["proof"].update(created="2020-01-01T00:00:00Z"), id="proof date"),
    ],
)
def test_a_tampered_certificate_fails_the_signature_check(served, tamper):
    certificate, verifier = served
    forged = copy.deepcopy(certificate.credential)
    tamper(forged)

    assert verifier.signature_is_valid(certificate.credential)
    assert not verifier.signature_is_valid(forged)


@pytest.fixture
def did_web(live_server, settings, tmp_path):
    settings.MOCK_ISSUER_KEY_FILE = tmp_path / "issuer.key"  # its own key: rotating it touches no other test
    settings.SITE_URL = live_server.url
    settings.CREDENTIAL_CONTEXT_URL = live_server.url + "/contexts/agriqcert/v1"
    settings.MOCK_ISSUER_DID_WEB = True
    return InjiVerifyStyle(live_server.url)


def test_a_did_web_issuer_is_resolved_from_the_did_document_the_app_serves(did_web, batch, api):
    from tests.factories import issue_certificate, make_inspection

    credential = issue_certificate(make_inspection(batch)).credential
    verdict = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json").json()

    assert credential["issuer"] == "did:web:" + quote(urlsplit(did_web.server).netloc, safe="")
    assert did_web.signature_is_valid(credential) and not did_web.revoked(credential)
    assert did_web.server + "/.well-known/did.json" in did_web.fetched
    assert verdict["valid"] is True and verdict["trust"]["ok"] is True


def test_a_rotated_key_stays_in_the_did_document_and_old_certificates_keep_verifying(did_web, batch, api):
    from django.core.management import call_command

    from certificates.lifecycle import revoke
    from tests.factories import issue_certificate, make_batch, make_inspection

    before = issue_certificate(make_inspection(batch)).credential
    call_command("rotate_issuer_key", stdout=io.StringIO())
    after_certificate = issue_certificate(make_inspection(make_batch("COFFEE-2026-007")))
    after = after_certificate.credential
    keys = requests.get(did_web.server + "/.well-known/did.json", timeout=10).json()["assertionMethod"]

    assert before["issuer"] == after["issuer"]
    assert before["proof"]["verificationMethod"] != after["proof"]["verificationMethod"]
    assert set(keys) == {before["proof"]["verificationMethod"], after["proof"]["verificationMethod"]}
    assert did_web.signature_is_valid(before) and did_web.signature_is_valid(after)
    for credential in (before, after):
        verdict = api["anonymous"].post("/api/v1/verify/", {"credential": credential}, format="json").json()
        assert verdict["valid"] is True, verdict
    # The status list is now signed with the new key; a revocation is still seen.
    revoke(after_certificate, by="staff", reason="Wrong destination")
    assert did_web.revoked(after) and not did_web.revoked(before)


@pytest.mark.django_db
def test_did_key_stays_the_default_with_no_did_document_and_no_rotation(client, batch):
    from django.core.management import CommandError, call_command

    from tests.factories import issue_certificate, make_inspection

    credential = issue_certificate(make_inspection(batch)).credential

    assert credential["issuer"].startswith("did:key:z6Mk")
    assert client.get("/.well-known/did.json").status_code == 404
    with pytest.raises(CommandError, match="Key rotation needs MOCK_ISSUER_DID_WEB=true"):
        call_command("rotate_issuer_key")


def test_rotations_at_the_same_time_retire_every_key_that_ever_signed(tmp_path):
    """Two operators rotating at once: each key that was ever current ends up published."""
    from concurrent.futures import ThreadPoolExecutor

    from credentials.keys import load_or_create_key_file, public_key_multibase, read_public_keys, rotate_key_file

    key_file, retired = tmp_path / "issuer.key", tmp_path / "issuer.key.retired"
    first = load_or_create_key_file(key_file)
    with ThreadPoolExecutor(4) as pool:
        rotations = list(pool.map(lambda _: rotate_key_file(key_file, retired), range(8)))
    published = {public_key_multibase(key) for key in read_public_keys(retired)}
    current = load_or_create_key_file(key_file)

    every_key = {first.public_multibase} | {new.public_multibase for _, new in rotations}
    assert len(every_key) == 9 and published == every_key - {current.public_multibase}


def test_a_damaged_line_in_the_retired_keys_file_costs_only_that_key(did_web, batch, api, caplog, monkeypatch):
    import logging

    from django.core.management import call_command

    monkeypatch.setattr(logging.getLogger("credentials"), "propagate", True)  # to caplog

    from certificates.signing import retired_keys_file
    from tests.factories import issue_certificate, make_inspection

    before = issue_certificate(make_inspection(batch)).credential
    call_command("rotate_issuer_key", stdout=io.StringIO())
    with retired_keys_file().open("a") as handle:
        handle.write("not-a-key\n")

    document = requests.get(did_web.server + "/.well-known/did.json", timeout=10)
    verdict = api["anonymous"].post("/api/v1/verify/", {"credential": before}, format="json").json()

    assert document.status_code == 200 and len(document.json()["verificationMethod"]) == 2
    assert verdict["valid"] is True
    assert "line=2 outcome=skipped" in caplog.text
