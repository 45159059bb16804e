"""An exporter shares a certificate with an importer from its page, and can withdraw it."""

from __future__ import annotations

import pytest
from django.test import Client

from certificates.models import Certificate
from notifications.models import Notification
from tests.factories import issue_certificate, make_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(actors):
    clients = {}
    for name in ("exporter", "other_exporter", "importer"):
        clients[name] = Client()
        clients[name].force_login(actors[name])
    return clients


@pytest.fixture
def certificate(batch):
    return issue_certificate(make_inspection(batch))


def test_the_exporter_shares_by_e_mail_and_the_importer_is_told_and_sees_it(pages, actors, certificate):
    actors["importer"].email = "buyer@hamburg-fine-foods.example"
    actors["importer"].save()

    response = pages["exporter"].post(
        f"/certificates/{certificate.pk}/share/", {"importer": "Buyer@Hamburg-Fine-Foods.example"}, follow=True
    )

    assert "Shared with importer" in response.content.decode()
    assert certificate.reload().shared_with == ["importer"]
    assert Notification.objects(recipient="importer", kind="certificate_shared").count() == 1
    assert f"/certificates/{certificate.pk}/" in pages["importer"].get("/").content.decode()
    assert pages["importer"].get(f"/certificates/{certificate.pk}/").status_code == 200


def test_withdrawing_a_share_hides_the_certificate_from_the_importer(pages, certificate):
    pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "importer"})

    pages["exporter"].post(f"/certificates/{certificate.pk}/share/importer/withdraw/")

    assert certificate.reload().shared_with == []
    assert pages["importer"].get(f"/certificates/{certificate.pk}/").status_code == 404


def test_an_unknown_importer_gets_a_message_and_nothing_changes(pages, certificate):
    response = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "nobody"}, follow=True)

    assert "No importer has the username or e-mail address" in response.content.decode()
    assert certificate.reload().shared_with == []


def test_only_the_owner_shares(pages, certificate):
    assert (
        pages["other_exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "importer"}).status_code
        == 404
    )
    assert Certificate.objects.get().shared_with == []
