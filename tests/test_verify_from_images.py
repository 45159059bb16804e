"""Importers verify what they are handed — the certificate's QR code as a PNG, a phone photo of the
printed page, the PDF the exporter e-mailed — on the page and through the API, and are told what to
try when a file holds nothing readable."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from credentials.images import MAX_FILE_BYTES
from credentials.qr import CertificateQR
from tests.factories import issue_certificate, make_inspection
from tests.photos import busy_background, declared_size_png, jpeg, pdf_of, photo_of

pytestmark = pytest.mark.django_db

VALID = "This certificate is valid."


@pytest.fixture
def certificate(batch):
    return issue_certificate(make_inspection(batch))


@pytest.fixture
def held(certificate) -> dict[str, bytes]:
    """What an importer may hold, all made by the app itself (or a phone's camera from it)."""
    public = Client()
    png = public.get(f"/c/{certificate.public_token}/qr.png").content
    pdf = public.get(f"/c/{certificate.public_token}/certificate.pdf").content
    assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF-")
    return {"qr.png": png, "certificate.pdf": pdf, "photo.jpg": photo_of(png)}


def verify_page(upload: bytes, name: str, field: str = "file") -> str:
    response = Client().post("/verify/", {field: SimpleUploadedFile(name, upload)})
    assert response.status_code == 200
    return response.content.decode()


def verify_api(api, upload: bytes, name: str):
    return api["anonymous"].post("/api/v1/verify/", {"file": SimpleUploadedFile(name, upload)}, format="multipart")


@pytest.mark.parametrize("name", ["qr.png", "certificate.pdf", "photo.jpg"])
def test_what_an_importer_holds_verifies_on_the_page(held, name):
    html = verify_page(held[name], name)

    assert VALID in html
    assert "Rice" in html  # and it says what it certifies


@pytest.mark.parametrize("name", ["qr.png", "certificate.pdf", "photo.jpg"])
def test_what_an_importer_holds_verifies_through_the_api(api, held, name):
    response = verify_api(api, held[name], name)

    assert response.status_code == 200, response.content
    assert response.json()["valid"] is True


def test_the_camera_control_sends_a_photo_like_any_upload(held):
    assert VALID in verify_page(held["photo.jpg"], "IMG_0001.jpg", field="photo")


def test_the_page_offers_the_phone_camera_without_needing_a_script():
    html = Client().get("/verify/").content.decode()

    assert 'accept="image/*" capture="environment"' in html
    assert 'name="file"' in html and "application/pdf" in html
    assert "<script" not in html.replace('<script src="/static/web/scan.js" defer></script>', "")


def test_a_full_size_phone_photo_is_accepted(held):
    """A 12-megapixel photo is several MB: far over the 256 KB any other request may be."""
    scene = busy_background((4000, 3000))
    scene.paste(Image.open(io.BytesIO(held["qr.png"])).convert("RGB").resize((1500, 1500)), (1200, 700))
    photo = jpeg(scene, quality=92)
    assert len(photo) > 3 * 1024 * 1024

    assert VALID in verify_page(photo, "IMG_0002.jpg", field="photo")


def test_a_photo_without_a_code_says_what_to_try(api):
    photo = jpeg(busy_background((1600, 1200)), quality=60)

    html = verify_page(photo, "desk.jpg")
    response = verify_api(api, photo, "desk.jpg")

    assert "We could not find a QR code in that picture." in html and "closer" in html
    assert response.status_code == 400
    assert response.json()["file"][0].startswith("We could not find a QR code in that picture.")


def test_a_decompression_bomb_is_refused_with_a_clear_message(api):
    bomb = declared_size_png(30000, 30000)

    html = verify_page(bomb, "bomb.png")
    response = verify_api(api, bomb, "bomb.png")

    assert "That picture is over 178 megapixels; this service reads pictures up to 25 megapixels." in html
    assert response.status_code == 400 and "25 megapixels" in response.json()["file"][0]


def test_a_long_pdf_is_read_on_its_first_pages_only(api, held):
    blank = Image.new("L", (1240, 1754), "white")
    late = Image.new("L", (1240, 1754), "white")
    late.paste(Image.open(io.BytesIO(held["qr.png"])).resize((600, 600)), (320, 400))
    long_pdf = pdf_of([blank] * 5 + [late])

    html = verify_page(long_pdf, "bundle.pdf")

    assert "We could not find a QR code on the first 3 pages of that PDF." in html
    assert verify_api(api, long_pdf, "bundle.pdf").status_code == 400


def test_random_bytes_are_told_what_is_accepted(api):
    noise = random.Random(1).randbytes(5000)

    html = verify_page(noise, "file.bin")
    response = verify_api(api, noise, "file.bin")

    assert "That file is neither a picture, a PDF nor a credential." in html
    assert response.status_code == 400 and "JPEG, PNG, HEIC or WebP" in response.json()["file"][0]


def test_a_code_that_holds_no_certificate_says_so(api):
    link = CertificateQR("https://example.test/about").printable_png()

    html = verify_page(link, "link.png")

    assert "The QR code in that file holds no credential we can read" in html
    assert "holds no credential this service reads" in verify_api(api, link, "link.png").json()["file"][0]


def test_a_credential_file_still_verifies(api, certificate):
    small = certificate.credential_json.encode()

    assert VALID in verify_page(small, "certificate.json")
    assert verify_api(api, small, "certificate.json").json()["valid"] is True


def test_a_photo_and_a_file_at_once_is_one_too_many(held):
    response = Client().post(
        "/verify/",
        {"photo": SimpleUploadedFile("a.jpg", held["photo.jpg"]), "file": SimpleUploadedFile("b.png", held["qr.png"])},
    )

    assert "Send one file at a time" in response.content.decode()


def test_large_uploads_are_taken_only_where_files_are_read(api):
    upload = {"file": SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + bytes(1024 * 1024))}

    elsewhere = api["exporter"].post("/api/v1/batches/", upload, format="multipart")
    json_body = api["anonymous"].post("/api/v1/verify/", {"qr": "x" * 300_000}, format="json")  # JSON is never a file

    assert elsewhere.status_code == 413 and "256 KB" in elsewhere.json()["detail"]
    assert json_body.status_code == 413


def test_an_upload_over_the_limit_is_refused_before_it_is_read():
    response = Client().post("/verify/", {"file": SimpleUploadedFile("huge.jpg", bytes(12 * 1024 * 1024))})

    assert response.status_code == 413 and "11 MB" in response.content.decode()


def test_the_upload_limit_leaves_room_for_the_largest_file_read_and_a_form(settings):
    assert settings.MAX_UPLOAD_BYTES >= MAX_FILE_BYTES + settings.MAX_REQUEST_BYTES
