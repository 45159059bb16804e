"""An exporter shares a certificate with an importer from its page, and can withdraw it."""

from __future__ import annotations

import pytest
from django.test import Client

from certificates import lifecycle
from certificates.models import Certificate
from certificates.throttling import IMPORTER_SEARCHES
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


def test_an_exporter_finds_an_importer_by_organisation_and_picks_them_from_a_list(pages, actors, certificate):
    response = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "hamburg fine"})
    html = response.content.decode()

    assert response.status_code == 400 and certificate.reload().shared_with == []
    assert 'value="hamburg fine"' in html  # what was typed is kept
    assert 'id="id_importer_error"' in html and "Check this is the importer you mean" in html
    assert 'class="error-summary" id="error-summary" tabindex="-1" autofocus' in html
    assert '<input type="hidden" name="importer" value="importer">' in html
    assert "Share with Hamburg Fine Foods GmbH" in html

    pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "importer"})

    assert certificate.reload().shared_with == ["importer"]


def test_importers_are_found_by_part_of_a_username_and_e_mail_addresses_only_whole(pages, actors, certificate):
    actors["importer"].email = "buyer@hamburg-fine-foods.example"
    actors["importer"].save()

    assert [found.username for found in lifecycle.find_importers("IMPORT")] == ["importer"]
    assert lifecycle.find_importers("buyer@hamburg") == []
    assert [found.organisation for found in lifecycle.find_importers("BUYER@hamburg-fine-foods.example")] == [
        "Hamburg Fine Foods GmbH"
    ]
    assert lifecycle.find_importers("Rival") == []  # an exporter is no importer
    assert lifecycle.find_importers("h") == []  # one letter would list everyone


def test_an_unknown_importer_is_refused_next_to_the_field_with_what_was_typed_kept(pages, certificate):
    response = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "nobody at all"})
    html = response.content.decode()

    assert response.status_code == 400
    assert 'id="id_importer_error"' in html and "No importer has the username or e-mail address" in html
    assert 'value="nobody at all"' in html and 'href="#id_importer"' in html


def test_withdrawing_asks_first_and_names_the_importer(pages, certificate):
    pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "importer"})

    html = pages["exporter"].get(f"/certificates/{certificate.pk}/").content.decode()

    start = html.index('<details class="confirm">')
    confirm = html[start : html.index("</details>", start)]
    assert "<summary>Withdraw…</summary>" in confirm
    assert "Hamburg Fine Foods GmbH will no longer see this certificate" in confirm
    assert f'action="/certificates/{certificate.pk}/share/importer/withdraw/"' in confirm
    assert "Withdraw from Hamburg Fine Foods GmbH</button>" in confirm


def test_two_letters_are_too_few_to_list_importers(pages, certificate):
    response = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "Ha"})
    html = response.content.decode()

    assert response.status_code == 400
    assert "To search, type at least 3 letters of the importer&#x27;s organisation or username." in html
    assert "Hamburg Fine Foods GmbH" not in html
    assert certificate.reload().shared_with == []


def test_an_exporter_searching_importers_over_and_over_is_held_back_but_may_still_share_by_exact_name(
    pages, certificate
):
    answers = [
        pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": f"ham{n}"}).status_code
        for n in range(IMPORTER_SEARCHES.limit + 1)
    ]
    held_back = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "hamburg"})
    exact = pages["exporter"].post(f"/certificates/{certificate.pk}/share/", {"importer": "importer"})

    assert answers[: IMPORTER_SEARCHES.limit] == [400] * IMPORTER_SEARCHES.limit and answers[-1] == 429
    assert held_back.status_code == 429
    assert "searched for importers 20 times in a minute: wait" in held_back.content.decode()
    assert "Hamburg Fine Foods GmbH" not in held_back.content.decode()  # no matches listed
    assert exact.status_code == 302 and certificate.reload().shared_with == ["importer"]
