"""QR codes in Inji Verify's PixelPass encoding, and the fallback to a URL for dense ones."""

from __future__ import annotations

import json
import zlib

import base45
import cbor2
import pytest

from certificates.qr import QRDecodeError, certificate_qr, decode_pixelpass, encode_pixelpass
from tests.factories import issue_certificate, make_inspection


@pytest.fixture
def credential(batch) -> dict:
    return issue_certificate(make_inspection(batch)).credential


def test_pixelpass_is_json_to_cbor_to_zlib_to_base45(credential):
    data = encode_pixelpass(credential)

    assert cbor2.loads(zlib.decompress(base45.b45decode(data))) == credential
    assert set(data) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode


def test_decoding_our_qr_data_gives_back_the_exact_credential(credential):
    decoded = decode_pixelpass(certificate_qr(credential, "https://x/verify").data)

    assert json.dumps(decoded, sort_keys=False) == json.dumps(credential, sort_keys=False)


def test_a_certificate_qr_carries_the_credential_and_renders_as_svg_and_png(credential):
    qr = certificate_qr(credential, "https://certs.example.org/c/1")

    assert qr.carries_credential
    assert qr.svg().startswith("<svg") and "</svg>" in qr.svg()
    assert qr.png().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_credential_too_dense_for_a_phone_carries_the_verification_url(credential):
    credential["credentialSubject"]["padding"] = base45.b45encode(bytes(range(256)) * 20).decode()

    qr = certificate_qr(credential, "https://certs.example.org/c/1")

    assert not qr.carries_credential
    assert qr.data == "https://certs.example.org/c/1"


@pytest.mark.parametrize(
    "text, reason",
    [("hello world!", "not Base45"), (base45.b45encode(b"raw").decode(), "not zlib"), ("", "empty")],
)
def test_garbage_qr_text_is_refused_with_a_reason(text, reason):
    with pytest.raises(QRDecodeError, match=reason):
        decode_pixelpass(text)


def test_pixelpass_data_holding_plain_json_also_decodes():
    text = base45.b45encode(zlib.compress(b'{"a": 1}', 9)).decode()

    assert decode_pixelpass(text) == {"a": 1}


@pytest.mark.django_db
def test_the_downloadable_png_is_big_enough_for_inji_verify_and_reads_back(client, batch, tmp_path):
    import subprocess

    from tests.factories import issue_certificate, make_inspection

    certificate = issue_certificate(make_inspection(batch))
    response = client.get(f"/c/{certificate.public_token}/qr.png")
    path = tmp_path / "qr.png"
    path.write_bytes(response.content)

    scanned = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, timeout=60)

    assert response["Content-Type"] == "image/png" and len(response.content) >= 10 * 1024
    assert decode_pixelpass(scanned.stdout.strip()) == certificate.credential
