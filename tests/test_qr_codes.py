"""QR codes in Inji Verify's PixelPass encoding, and the fallback to a URL for dense ones."""

from __future__ import annotations

import json
import zlib

import base45
import cbor2
import pytest

from credentials import qr
from credentials.qr import QRTooDense, certificate_qr, decode_pixelpass, encode_pixelpass, qr_version
from tests.factories import issue_certificate, make_inspection


@pytest.fixture
def credential(batch) -> dict:
    return issue_certificate(make_inspection(batch)).credential


def test_pixelpass_is_json_to_cbor_to_zlib_to_base45(credential):
    data = encode_pixelpass(credential)

    assert cbor2.loads(zlib.decompress(base45.b45decode(data))) == credential
    assert set(data) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode


def test_decoding_our_qr_data_gives_back_the_exact_credential(credential):
    decoded = decode_pixelpass(certificate_qr(credential).data)

    assert json.dumps(decoded, sort_keys=False) == json.dumps(credential, sort_keys=False)


def test_a_certificate_qr_carries_the_credential_and_renders_as_svg_and_png(credential):
    qr = certificate_qr(credential)

    assert decode_pixelpass(qr.data) == credential
    assert qr.svg().startswith("<svg") and "</svg>" in qr.svg()
    assert qr.png().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_credential_too_dense_for_a_phone_gets_no_qr_code_at_all(credential):
    credential["credentialSubject"]["padding"] = base45.b45encode(bytes(range(256)) * 20).decode()

    with pytest.raises(QRTooDense, match="phone cameras read at most version 25"):
        certificate_qr(credential)  # never a URL in its place: Inji Verify would read it as PixelPass


@pytest.mark.django_db
def test_the_largest_possible_certificate_still_fits_a_readable_qr_code(settings):
    """Every free-text field at its limit, filled with text that does not compress, and long
    production URLs: the QR code still carries the whole certificate at version 25 or less."""
    import random
    import string

    from certificates.validators import TEXT_LIMITS
    from tests.factories import issue_certificate, make_batch, make_inspection

    settings.SITE_URL = "https://certificates.green-valley-exporters.example"
    settings.CREDENTIAL_CONTEXT_URL = "https://contexts.green-valley-exporters.example/agriqcert/v1"
    rng = random.Random(7)

    def text(field: str) -> str:
        return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(TEXT_LIMITS[field]))

    batch = make_batch(
        "Z"
        + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(TEXT_LIMITS["batch_number"] - 1)),
        product=text("product"),
        variety=text("variety"),
        hs_code="1006.30.10",
        quantity=999_999_999.999,
        origin_region=text("origin_region"),
        farm=text("farm"),
        exporter_name=text("exporter_name"),
    )
    inspection = make_inspection(
        batch,
        agency=text("agency"),
        grade=text("grade"),
        moisture_percent=99.999,
        foreign_matter_percent=99.999,
        pesticide_residue_mg_per_kg=999_999.999,
    )

    credential = issue_certificate(inspection).credential

    assert qr_version(credential) <= 25
    assert decode_pixelpass(certificate_qr(credential).data) == credential


def test_the_version_from_the_compressed_size_is_the_version_of_the_text(credential):
    """Issuing counts Base45's characters from the compressed bytes instead of writing them."""
    for notes in ("", "x", "xy" * 100, "no repeats: " + "".join(chr(0x41 + n % 57) for n in range(700))):
        document = {**credential, "notes": notes}
        assert qr_version(document) == qr._version_for(encode_pixelpass(document))


@pytest.mark.django_db
def test_issuing_refuses_a_certificate_whose_qr_code_could_not_be_read(batch, monkeypatch):
    from issuance.models import IssuanceJob
    from tests.factories import make_inspection, run_due_jobs

    monkeypatch.setattr(qr, "MAX_QR_VERSION", 10)
    make_inspection(batch)

    run_due_jobs()

    job = IssuanceJob.objects.get()
    assert job.gave_up and "phone cameras read at most version 10" in job.errors[-1].message
    assert "shorten the batch's texts" in job.errors[-1].message


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


@pytest.mark.django_db
def test_the_printable_pdf_is_one_page_whose_qr_code_reads_back_and_names_nothing_cut(client, tmp_path):
    """Printed and stapled to the shipment: one page, a code that scans, and even the longest
    names allowed printed in full (wrapped, never cut off)."""
    import subprocess

    from certificates.validators import TEXT_LIMITS
    from tests.factories import issue_certificate, make_batch, make_inspection

    exporter = "Green Valley Organic Basmati Rice Exporters Cooperative Ltd"[: TEXT_LIMITS["exporter_name"]]
    agency = "National Agricultural Quality Assurance and Export Inspection"[: TEXT_LIMITS["agency"]]
    batch = make_batch(exporter_name=exporter, product="Rice", farm="Sunrise Cooperative Farm No 7, Karnal")
    certificate = issue_certificate(make_inspection(batch, agency=agency))
    response = client.get(f"/c/{certificate.public_token}/certificate.pdf")
    (tmp_path / "certificate.pdf").write_bytes(response.content)

    subprocess.run(["pdftoppm", "-r", "150", "-png", "certificate.pdf", "page"], cwd=tmp_path, check=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    scanned = subprocess.run(["zbarimg", "--quiet", "--raw", str(pages[0])], capture_output=True, text=True, timeout=60)
    words = subprocess.run(["pdftotext", "certificate.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    words = " ".join(words.split())

    assert response["Content-Type"] == "application/pdf" and len(pages) == 1
    assert decode_pixelpass(scanned.stdout.strip()) == certificate.credential
    assert "Batch RICE-2026-001" in words and "India" in words and "12,500 kg" in words
    assert exporter in words and agency in words
    assert certificate.credential["issuer"] in words.replace(" ", ""), "the issuer's DID, to compare with Inji Verify"
