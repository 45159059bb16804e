"""A certificate's QR images and PDF are drawn once per state and then served from the shared cache,
with an ETag and a short max-age; a client's fresh drawings are limited per minute (cached copies
and 304s are not). A printable QR PNG costs most of a second of CPU to draw: before, every
anonymous request drew it again (bench/public_images.py measures the difference).
"""

from __future__ import annotations

import subprocess

import pytest

from certificates import lifecycle, renders
from core.rate_limits import RateLimit
from credentials.qr import CertificateQR
from tests.factories import issue_certificate, make_batch, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawings(monkeypatch) -> list[str]:
    """What was drawn, in order: each QR PNG or SVG (stand-ins: the real PNG takes most of a second)."""
    drawn: list[str] = []

    def printable_png(qr: CertificateQR) -> bytes:
        drawn.append("png")
        return b"\x89PNG drawn for " + qr.data[:20].encode()

    def svg(qr: CertificateQR, scale: int = 4) -> str:
        drawn.append("svg")
        return f"<svg>{qr.data[:20]}</svg>"

    monkeypatch.setattr(CertificateQR, "printable_png", printable_png)
    monkeypatch.setattr(CertificateQR, "svg", svg)
    return drawn


def certificate(number: str = "RICE-2026-001"):
    return issue_certificate(make_inspection(make_batch(number)))


def test_a_second_request_for_the_qr_png_draws_nothing(client, drawings):
    url = f"/c/{certificate().public_token}/qr.png"

    first, second = client.get(url), client.get(url)

    assert drawings == ["png"]
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert first["ETag"] == second["ETag"] and first["ETag"].startswith('"')
    assert first["Cache-Control"] == "public, max-age=60" and first["Content-Type"] == "image/png"
    assert 'filename="certificate-RICE-2026-001-qr.png"' in second["Content-Disposition"]


def test_a_client_holding_the_current_copy_gets_304_and_nothing_is_drawn(client, drawings):
    url = f"/c/{certificate().public_token}/qr.png"
    etag = client.get(url)["ETag"]
    drawings.clear()

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304 and response.content == b"" and drawings == []
    assert response["ETag"] == etag and response["Cache-Control"] == "public, max-age=60"


def words_of(pdf: bytes, folder) -> str:
    (folder / "certificate.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", "certificate.pdf", "-"], cwd=folder, capture_output=True, text=True).stdout


def test_revoking_changes_the_etag_and_the_pdf_shows_the_revoked_stamp(client, tmp_path):
    issued = certificate()
    url = f"/c/{issued.public_token}/certificate.pdf"
    before = client.get(url)
    assert lifecycle.revoke(issued, by="qa", reason="Aflatoxin found on re-test").done

    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert before.status_code == 200 and "REVOKED" not in words_of(before.content, tmp_path)
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert "REVOKED: Aflatoxin found on re-test" in words_of(after.content, tmp_path)


def test_fresh_drawings_over_the_budget_get_429_with_a_clear_message_and_cached_copies_still_flow(
    client, drawings, monkeypatch
):
    monkeypatch.setattr(renders, "RENDERS", RateLimit("render", limit=2, period=60))
    tokens = [certificate(f"RICE-2026-00{n}").public_token for n in (1, 2, 3)]

    answers = [client.get(f"/c/{token}/qr.png") for token in tokens]
    cached = client.get(f"/c/{tokens[0]}/qr.png")

    assert [answer.status_code for answer in answers] == [200, 200, 429] and drawings == ["png", "png"]
    refused = answers[2]
    assert refused["Retry-After"].isdigit() and 0 < int(refused["Retry-After"]) <= 60
    assert refused.content.decode().startswith(
        "Too many certificate images and PDFs drawn for your address (2 a minute)"
    )
    assert cached.status_code == 200


def test_the_apis_qr_is_cached_privately_and_refused_as_json_over_the_budget(api, drawings, monkeypatch):
    monkeypatch.setattr(renders, "RENDERS", RateLimit("render", limit=2, period=60))
    first, second = certificate("RICE-2026-001"), certificate("RICE-2026-002")
    exporter = api["exporter"]

    svg = [exporter.get(f"/api/v1/certificates/{first.pk}/qr.svg") for _ in range(2)]
    png = exporter.get(f"/api/v1/certificates/{first.pk}/qr.png")
    refused = exporter.get(f"/api/v1/certificates/{second.pk}/qr.svg")

    assert [answer.status_code for answer in svg] == [200, 200] and drawings == ["svg", "png"]
    assert svg[0]["Cache-Control"] == "private, max-age=60" and svg[0]["Content-Type"] == "image/svg+xml"
    assert png["ETag"] != svg[0]["ETag"]
    assert refused.status_code == 429 and "Too many certificate images" in refused.json()["detail"]


def test_the_public_png_and_the_apis_png_are_one_drawing(client, api, drawings):
    issued = certificate()

    public = client.get(f"/c/{issued.public_token}/qr.png")
    private = api["exporter"].get(f"/api/v1/certificates/{issued.pk}/qr.png")

    assert drawings == ["png"] and public.content == private.content
