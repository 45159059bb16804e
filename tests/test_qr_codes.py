"""QR codes in Inji Verify's PixelPass encoding, and the fallback to a URL for dense ones."""

from __future__ import annotations

import json
import string
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


def _printable(first: int, last: int) -> list[str]:
    from certificates.validators import PLAIN_TEXT

    chars = [chr(code) for code in range(first, last + 1) if chr(code).isprintable()]
    return [char for char in chars if _accepted(PLAIN_TEXT["product"], char)]


def _accepted(rule, value: str) -> bool:
    from django.core.exceptions import ValidationError

    try:
        rule(value)
    except ValidationError:
        return False
    return True


SCRIPTS = {
    "latin": _printable(0x20, 0x7E),
    "latin-extended": _printable(0xC0, 0x24F),
    "devanagari": _printable(0x900, 0x97F),
    "cjk": _printable(0x4E00, 0x9FFF),
    "emoji": _printable(0x1F300, 0x1F64F),
    # Many scripts at once, chosen so that the bytes spread over as many values as UTF-8 has: what
    # zlib compresses worst (the literals' Huffman code gets longer for everything else too).
    "mixed": _printable(0x20, 0x7E)
    + _printable(0xA1, 0x7FF)
    + _printable(0x800, 0xFFFF)[::37]
    + _printable(0x10000, 0x2FFFF)[::97],
}


def _fill(rng, script: str, limit: int, used: dict[int, int]) -> str:
    """Random text of `script` of exactly `limit` UTF-8 bytes (topped up with Latin letters when
    the script's characters do not divide it). For "mixed", each character is the one of a few
    candidates whose bytes were used least so far."""
    text = ""
    while len(text.encode()) < limit:
        room = limit - len(text.encode())
        tries = 24 if script == "mixed" else 1
        candidates = [c for c in (rng.choice(SCRIPTS[script]) for _ in range(tries)) if len(c.encode()) <= room]
        if not candidates:
            candidates = [rng.choice(string.ascii_letters)]
        char = min(candidates, key=lambda c: sum(used.get(b, 0) for b in c.encode()) / len(c.encode()))
        for byte in char.encode():
            used[byte] = used.get(byte, 0) + 1
        text += char
    return text


@pytest.mark.django_db
@pytest.mark.parametrize("script", SCRIPTS)
def test_the_largest_possible_certificate_in_any_script_still_fits_a_readable_qr_code(script, settings):
    """Every free-text field at its limit in bytes, filled with random text of one script (or of
    many, which compresses worst), and long production URLs: the QR code still carries the whole
    certificate at version 25 or less. Counting characters, the same fields needed version 27
    (Devanagari) to 32 (Chinese), and the job gave up after the inspection had passed."""
    import random

    from certificates.validators import TEXT_LIMITS
    from tests.factories import issue_certificate, make_batch, make_inspection

    settings.SITE_URL = "https://certificates.green-valley-exporters.example"
    settings.CREDENTIAL_CONTEXT_URL = "https://contexts.green-valley-exporters.example/agriqcert/v1"
    rng = random.Random(7)
    used: dict[int, int] = {}
    text = {field: _fill(rng, script, limit, used) for field, limit in TEXT_LIMITS.items() if field != "batch_number"}
    number = "Z" + "".join(
        rng.choice(string.ascii_uppercase + string.digits) for _ in range(TEXT_LIMITS["batch_number"] - 1)
    )
    batch = make_batch(
        number,
        product=text["product"],
        variety=text["variety"],
        hs_code="1006.30.10",
        quantity=999_999_999.999,
        origin_region=text["origin_region"],
        farm=text["farm"],
        exporter_name=text["exporter_name"],
    )
    inspection = make_inspection(
        batch,
        agency=text["agency"],
        grade=text["grade"],
        moisture_percent=99.999,
        foreign_matter_percent=99.999,
        pesticide_residue_mg_per_kg=999_999.999,
    )

    credential = issue_certificate(inspection).credential

    assert qr_version(credential) <= 25
    assert decode_pixelpass(certificate_qr(credential).data) == credential
    assert credential["credentialSubject"]["exporter"]["name"] == text["exporter_name"]


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
    batch = make_batch(exporter_name=exporter, product="Rice", farm="Sunrise Farm 7, Karnal")
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
