"""`manage.py verify_credential FILE|-`: exit 0 valid, 1 invalid, 2 unreadable — never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from credentials.qr import encode_pixelpass
from tests.commands import ROOT, manage
from tests.shared_vectors import W3C

VECTORS = W3C


def verify(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return manage("verify_credential", *args, stdin=stdin)


@pytest.fixture(scope="module")
def signed_file(tmp_path_factory) -> Path:
    """A credential from a did:key issuer, signed outside this process."""
    script = """
import json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from credentials.keys import SigningKey
from credentials.proofs import sign_ed25519_2020
key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
doc = json.load(open(sys.argv[1]))
doc.pop("proof")
doc["issuer"] = key.did
doc["validUntil"] = "2099-01-01T00:00:00Z"
print(json.dumps(sign_ed25519_2020(doc, key, "2024-01-01T00:00:00Z")))
"""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            "'agriqcert.settings'); django.setup(); exec(open(0).read())",
            str(VECTORS / "signed-eddsa-rdfc-2022.json"),
        ],
        cwd=ROOT,
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    path = tmp_path_factory.mktemp("vc") / "credential.json"
    path.write_text(result.stdout)
    return path


def issuer_of(path: Path) -> str:
    return json.loads(path.read_text())["issuer"]


def test_a_credential_from_an_issuer_it_was_told_to_trust_exits_0_and_lists_each_check(signed_file):
    result = verify(str(signed_file), "--trust", issuer_of(signed_file))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("VALID")
    for check in ("signature", "issuer", "trust", "validity", "revocation"):
        assert check in result.stdout


def test_a_correctly_signed_credential_from_an_unknown_issuer_is_not_valid(signed_file):
    result = verify(str(signed_file))

    assert result.returncode == 1
    assert result.stdout.startswith("INVALID")
    assert "signed, but by an issuer this service does not know" in result.stdout


def test_reads_standard_input_and_prints_json(signed_file):
    result = verify("-", "--json", "--trust", issuer_of(signed_file), stdin=signed_file.read_text())

    assert result.returncode == 0
    assert json.loads(result.stdout)["valid"] is True


def test_reads_qr_text(signed_file):
    qr_text = encode_pixelpass(json.loads(signed_file.read_text()))

    assert verify("-", "--trust", issuer_of(signed_file), stdin=qr_text).returncode == 0


def test_a_tampered_credential_exits_1_with_the_reason(signed_file, tmp_path):
    document = json.loads(signed_file.read_text())
    document["credentialSubject"]["alumniOf"] = "Forgery U"
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(document))

    result = verify(str(path), "--trust", issuer_of(signed_file))

    assert result.returncode == 1
    assert "INVALID" in result.stdout and "altered" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "%%% not a qr %%%", ""])
def test_unreadable_input_exits_2(content, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(content)

    result = verify(str(path))

    assert result.returncode == 2
    assert "Cannot read a credential" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_2():
    result = verify("/nonexistent/credential.json")

    assert result.returncode == 2 and "No such file" in result.stderr


@pytest.mark.django_db
def test_a_certificate_from_an_app_in_another_process_is_valid_with_revocation_not_checkable_offline(
    tmp_path, settings
):
    from tests.factories import issue_certificate, make_batch, make_inspection

    certificate = issue_certificate(make_inspection(make_batch("RICE-9")))  # its status list lives here only
    path = tmp_path / "certificate.json"
    path.write_text(certificate.credential_json)
    env = {**os.environ, "MOCK_ISSUER_KEY_FILE": str(settings.MOCK_ISSUER_KEY_FILE)}
    env.pop("MONGODB_URI", None)

    result = manage("verify_credential", str(path), "--offline", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("VALID")
    assert "revocation unknown  not checked: this service does not fetch the status list" in result.stdout
