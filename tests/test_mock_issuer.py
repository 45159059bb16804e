"""Mock mode: real Ed25519Signature2020 credentials under a did:key that survives restarts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from certificates import signing
from certificates.trust import verify
from credentials.keys import load_or_create_key_file
from issuance.inji import issue_credential
from tests.factories import make_inspection

ROOT = Path(__file__).resolve().parent.parent


def test_mock_mode_signs_ed25519signature2020_under_a_did_key(batch):
    inspection = make_inspection(batch)

    issued = issue_credential(batch, inspection, certificate_key=f"{inspection.pk}:0")

    proof = issued.document["proof"]
    assert issued.via == "mock"
    assert proof["type"] == "Ed25519Signature2020"
    assert issued.issuer_did.startswith("did:key:z6Mk")
    assert proof["verificationMethod"] == f"{issued.issuer_did}#{issued.issuer_did.removeprefix('did:key:')}"
    assert verify(issued.document).valid


def test_the_key_survives_a_restart(tmp_path):
    path = tmp_path / "issuer.key"

    first = load_or_create_key_file(path)
    signing._key_for.cache_clear()
    second = load_or_create_key_file(path)

    assert first.did == second.did
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_workers_starting_together_share_one_key(tmp_path):
    path = tmp_path / "shared.key"
    script = (
        "import sys; from pathlib import Path; from credentials.keys import load_or_create_key_file; "
        "print(load_or_create_key_file(Path(sys.argv[1])).did)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    dids = {process.communicate(timeout=60)[0].strip() for process in processes}

    assert len(dids) == 1 and next(iter(dids)).startswith("did:key:")


def test_a_corrupt_key_file_is_reported_by_name(tmp_path):
    path = tmp_path / "broken.key"
    path.write_text("not a key")

    try:
        load_or_create_key_file(path)
    except ValueError as exc:
        assert str(path) in str(exc)
    else:
        raise AssertionError("a corrupt key file was accepted")
