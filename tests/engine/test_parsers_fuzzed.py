"""Every parser of public input, fuzzed: any input yields a credential or a clear refusal — never
another exception (which would be a 500 on the API and the verify page)."""

from __future__ import annotations

import zlib

import base45
import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.limits import UnreadableCredential, check_cbor
from credentials.policy import VerificationPolicy
from credentials.qr import decode_pixelpass
from credentials.verification import read_credential, verify_credential

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=60,
)
credential_like = st.fixed_dictionaries(
    {"@context": st.just(["https://www.w3.org/ns/credentials/v2"]), "type": st.just(["VerifiableCredential"])},
    optional={
        "issuer": json_values,
        "credentialSubject": json_values,
        "proof": st.fixed_dictionaries(
            {"type": st.sampled_from(["Ed25519Signature2020", "DataIntegrityProof", "x"])},
            optional={"verificationMethod": st.text(max_size=80), "proofValue": st.text(max_size=120)},
        ),
        "validFrom": st.text(max_size=30),
        "credentialStatus": json_values,
    },
)


def readable_or_refused(parse, value) -> None:
    try:
        result = parse(value)
    except UnreadableCredential:
        return
    assert isinstance(result, dict)


@FUZZ
@given(st.text(max_size=3000))
def test_any_pasted_text_is_read_or_refused(text):
    readable_or_refused(read_credential, text)


@FUZZ
@given(st.binary(max_size=2000))
def test_any_qr_payload_is_read_or_refused(payload):
    readable_or_refused(decode_pixelpass, base45.b45encode(zlib.compress(payload)).decode())


@FUZZ
@given(json_values)
def test_any_cbor_document_is_read_or_refused(value):
    readable_or_refused(decode_pixelpass, base45.b45encode(zlib.compress(cbor2.dumps(value))).decode())


@FUZZ
@given(st.binary(max_size=500))
def test_the_cbor_scanner_accepts_or_refuses_any_bytes(data):
    try:
        check_cbor(data)
    except UnreadableCredential:
        return


@FUZZ
@given(credential_like)
def test_any_credential_shaped_document_gets_a_verdict(document):
    result = verify_credential(document, policy=VerificationPolicy())

    assert result.valid is False
    assert all(isinstance(check.reason, str) and check.reason for check in result.checks.values())
