"""Revocation through a W3C Bitstring Status List."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from certificates.lifecycle import revoke
from certificates.models import Batch, BatchStatus, CertificateStatus
from certificates.status_lists import allocate_entry, held_status_list
from certificates.trust import public_policy, verify
from credentials.status_list import bit_is_set, encode_bitstring
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db  # revocations notify people, who are Django users


@pytest.fixture
def certificate(batch):
    return issue_certificate(make_inspection(batch))


def test_each_certificate_gets_its_own_status_list_entry(batch):
    first = issue_certificate(make_inspection(batch))
    second = issue_certificate(make_inspection(make_batch("COFFEE-1")))

    assert first.status_list_index != second.status_list_index
    entry = first.credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"] == str(first.status_list_index)


def test_revoking_flips_the_bit_and_the_verifier_sees_it(certificate, client):
    assert verify(certificate.credential).revocation.ok is True

    assert revoke(certificate, by="auditor", reason="Lab re-test failed").done

    certificate.reload()
    assert certificate.status == CertificateStatus.REVOKED and certificate.revoked_by == "auditor"
    assert Batch.objects.get(pk=certificate.batch.pk).status == BatchStatus.REVOKED
    result = verify(certificate.credential)
    assert not result.valid
    assert result.revocation.ok is False and "revoked" in result.revocation.reason


def test_the_status_list_credential_is_served_signed_and_verifiable(certificate, client):
    revoke(certificate, by="auditor", reason="fraud")

    response = client.get(f"/credentials/status/{certificate.status_list_id}")

    assert response.status_code == 200
    status_list = response.json()
    assert "BitstringStatusListCredential" in status_list["type"]
    assert verify(status_list).signature.ok is True
    assert bit_is_set(status_list["credentialSubject"]["encodedList"], certificate.status_list_index)
    assert client.get("/credentials/status/999").status_code == 404


def test_a_tampered_status_list_is_not_trusted(certificate):
    def tampered(url):  # a man in the middle clears the revoked bit
        ours, document = held_status_list(url)
        document["credentialSubject"]["encodedList"] = encode_bitstring([])
        return ours, document

    revoke(certificate, by="auditor", reason="fraud")

    result = verify(certificate.credential, replace(public_policy(), held_status_list=tampered))

    assert result.revocation.ok is False and "not trustworthy" in result.revocation.reason


def test_allocation_never_hands_out_an_index_twice():
    indexes = [int(allocate_entry()["statusListIndex"]) for _ in range(50)]

    assert len(set(indexes)) == 50


def revoke_command(*args):
    out = StringIO()
    call_command("revoke_certificate", *args, stdout=out)
    return out.getvalue()


def test_revoke_certificate_command(certificate):
    output = revoke_command(certificate.credential_id, "--reason", "Mislabelled lot")

    assert "is revoked; verifiers now see it as revoked" in output
    certificate.reload()
    assert certificate.revocation_reason == "Mislabelled lot"

    with pytest.raises(CommandError, match="already revoked"):
        revoke_command(str(certificate.pk), "--reason", "again")


def test_revoke_certificate_command_errors(certificate):
    with pytest.raises(CommandError, match="No certificate has the id"):
        revoke_command("urn:uuid:nope", "--reason", "x")
    with pytest.raises(CommandError, match="reason is required"):
        revoke_command(certificate.credential_id, "--reason", " ")
