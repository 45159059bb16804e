"""Our credentials verify with an independent implementation: Digital Bazaar's jsonld-signatures
(Node.js), which canonicalises in safe mode — an undefined term would fail it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from certificates.status_lists import status_list_credential
from credentials.jsonld import document_loader
from tests.factories import issue_certificate, make_inspection

VERIFIER = Path(__file__).parent / "independent"


def independent_verify(document: dict, tmp_path: Path) -> dict:
    node = shutil.which("node")
    assert node, "Node.js is needed for the independent verifier test"
    assert (VERIFIER / "node_modules").is_dir(), "run scripts/test (it runs npm ci in tests/independent)"
    loader = document_loader()
    contexts = {url: loader(url, {})["document"] for url in [*document["@context"], "https://www.w3.org/ns/did/v1"]}
    (tmp_path / "credential.json").write_text(json.dumps(document))
    (tmp_path / "contexts.json").write_text(json.dumps(contexts))
    result = subprocess.run(
        [node, "verify.mjs", str(tmp_path / "credential.json"), str(tmp_path / "contexts.json")],
        cwd=VERIFIER,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def certificate(batch):
    return issue_certificate(make_inspection(batch))


def test_a_certificate_verifies_with_jsonld_signatures(certificate, tmp_path):
    assert independent_verify(certificate.credential, tmp_path) == {"verified": True, "error": None}


def test_jsonld_signatures_rejects_a_tampered_certificate(certificate, tmp_path):
    tampered = certificate.credential
    tampered["credentialSubject"]["assessedProduct"]["quantity"]["value"] = 99999

    result = independent_verify(tampered, tmp_path)

    assert result["verified"] is False and "Invalid signature" in result["error"]


def test_the_status_list_credential_verifies_with_jsonld_signatures(certificate, tmp_path):
    assert independent_verify(status_list_credential(certificate.status_list_id), tmp_path)["verified"] is True


def test_an_undefined_term_is_refused_there_and_here_alike(certificate, tmp_path):
    from certificates.signing import sign
    from certificates.trust import verify
    from credentials.jsonld import UndefinedTerm

    document = {k: v for k, v in certificate.credential.items() if k != "proof"}
    document["credentialSubject"]["colour"] = "golden"  # no context defines it
    smuggled = {**certificate.credential, "credentialSubject": document["credentialSubject"]}

    with pytest.raises(UndefinedTerm, match="colour"):
        sign(document, "2026-01-01T00:00:00Z")  # we never sign what a signature cannot cover
    ours = verify(smuggled)  # an unsigned term added to a genuine certificate
    theirs = independent_verify(smuggled, tmp_path)

    assert ours.valid is False and "'colour' is not defined" in ours.signature.reason
    assert theirs["verified"] is False and "Safe mode" in theirs["error"]


def test_text_with_control_characters_verifies_with_jsonld_signatures(batch, tmp_path):
    """RDFC-1.0 writes control characters as \\uXXXX (or \\b, \\f); PyLD wrote them raw, so a
    certificate whose farm name held a pasted form feed verified nowhere else (this failed then).
    Forms refuse such text now; a batch stored before that is written as it was."""
    type(batch).objects(pk=batch.pk).update_one(set__farm="Green\x0cValley \x01Farm")
    batch.reload()
    certificate = issue_certificate(make_inspection(batch))

    assert independent_verify(certificate.credential, tmp_path) == {"verified": True, "error": None}
